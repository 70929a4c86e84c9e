package redis

import (
	"crypto/tls"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// URL schemes. The "-sentinel" and "-cluster" forms say what the hosts are;
// without them, several hosts mean a Cluster and master_name means Sentinel,
// as go-redis's universal client decides.
const (
	schemePlain    = "redis"
	schemeTLS      = "rediss"
	schemeSentinel = "redis-sentinel"
	schemeSentTLS  = "rediss-sentinel"
	schemeCluster  = "redis-cluster"
	schemeClusTLS  = "rediss-cluster"
)

// queryParams are the settings a REDIS_URL may carry; any other is refused so
// that a misspelt one does not silently do nothing.
var queryParams = []string{"addr", "db", "master_name", "sentinel_username",
	"sentinel_password", "client_name", "dial_timeout", "pool_size"}

// ParseURL turns a REDIS_URL into go-redis universal options. It accepts
//
//	redis://[user:password@]host[:6379][/db]          one server
//	rediss://...                                       the same over TLS
//	redis-sentinel://[user:password@]s1:26379,s2:26379[/db]?master_name=mymaster
//	redis://host1:6379,host2:6379  or  redis://host1:6379?addr=host2:6379   a Cluster
//	redis-cluster://host:6379                          a Cluster behind one address
//
// In a Sentinel URL the user and password are the master's; the sentinels'
// own go in sentinel_username and sentinel_password. Other parameters: db,
// client_name, dial_timeout (a Go duration), pool_size. Errors name REDIS_URL
// but never repeat the password.
func ParseURL(raw string) (*goredis.UniversalOptions, error) {
	u, hostList, err := splitHosts(raw)
	if err != nil {
		return nil, err
	}
	var sentinel, cluster, useTLS bool
	switch u.Scheme {
	case schemePlain:
	case schemeTLS:
		useTLS = true
	case schemeSentinel:
		sentinel = true
	case schemeSentTLS:
		sentinel, useTLS = true, true
	case schemeCluster:
		cluster = true
	case schemeClusTLS:
		cluster, useTLS = true, true
	default:
		return nil, badURL("scheme %q is not redis, rediss, redis-sentinel or redis-cluster", u.Scheme)
	}
	q := u.Query()
	for k := range q {
		if !slices.Contains(queryParams, k) {
			return nil, badURL("unknown parameter %q (known: %s)", k, strings.Join(queryParams, ", "))
		}
	}

	opt := &goredis.UniversalOptions{MasterName: q.Get("master_name")}
	if sentinel && opt.MasterName == "" {
		return nil, badURL("a Sentinel URL needs master_name")
	}
	sentinel = sentinel || opt.MasterName != ""
	defPort := "6379"
	if sentinel {
		defPort = "26379"
	}
	hosts := slices.Concat(strings.Split(hostList, ","), q["addr"])
	for _, h := range hosts {
		addr, err := hostPort(h, defPort)
		if err != nil {
			return nil, err
		}
		opt.Addrs = append(opt.Addrs, addr)
	}
	if len(opt.Addrs) == 0 {
		return nil, badURL("no host")
	}
	opt.IsClusterMode = cluster
	if cluster && sentinel {
		return nil, badURL("master_name is for Sentinel, not Cluster")
	}

	if u.User != nil {
		opt.Username = u.User.Username()
		opt.Password, _ = u.User.Password()
	}
	opt.SentinelUsername = q.Get("sentinel_username")
	opt.SentinelPassword = q.Get("sentinel_password")
	opt.ClientName = q.Get("client_name")

	db := strings.Trim(u.Path, "/")
	if v := q.Get("db"); v != "" {
		db = v
	}
	if db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return nil, badURL("database %q is not a number", db)
		}
		if n != 0 && (cluster || (len(opt.Addrs) > 1 && !sentinel)) {
			return nil, badURL("a Cluster has only database 0")
		}
		opt.DB = n
	}
	if v := q.Get("dial_timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, badURL("dial_timeout %q is not a positive duration such as 5s", v)
		}
		opt.DialTimeout = d
	}
	if v := q.Get("pool_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, badURL("pool_size %q is not a positive number", v)
		}
		opt.PoolSize = n
	}
	if useTLS {
		host, _, _ := net.SplitHostPort(opt.Addrs[0])
		opt.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return opt, nil
}

// splitHosts parses raw with its host list taken out first: net/url refuses
// "h1:6379,h2" as a host, and a comma-separated list is what Sentinel and
// Cluster URLs carry.
func splitHosts(raw string) (*url.URL, string, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, "", badURL("it is not a URL such as redis://127.0.0.1:6379/0")
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth, tail := rest[:end], rest[end:]
	userinfo, hosts := "", auth
	if i := strings.LastIndex(auth, "@"); i >= 0 {
		userinfo, hosts = auth[:i+1], auth[i+1:]
	}
	u, err := url.Parse(scheme + "://" + userinfo + "placeholder" + tail)
	if err != nil {
		return nil, "", badURL("it is not a URL such as redis://127.0.0.1:6379/0")
	}
	return u, hosts, nil
}

func hostPort(h, defPort string) (string, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return "", badURL("an empty host in the host list")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port: the whole thing is the host (a bracketed IPv6 address
		// loses its brackets here and JoinHostPort puts them back).
		host, port = strings.Trim(h, "[]"), defPort
	}
	if host == "" {
		return "", badURL("a host has no name (a password goes before an @: redis://:PASSWORD@host:6379/0)")
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", badURL("a host has a bad port (want host:port, the port from 1 to 65535)")
	}
	return net.JoinHostPort(host, port), nil
}

func badURL(format string, args ...any) error {
	return dispatch.Errorf(dispatch.EINVALID, "REDIS_URL: "+format, args...)
}

package integration

import (
	"encoding/binary"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// pgCounter is a TCP proxy in front of PostgreSQL that counts what the
// service costs the database: round trips (each time a client speaks again
// after the server answered) and transactions (each ReadyForQuery with
// status idle ends one, a lone statement or a COMMIT/ROLLBACK). It reads the
// protocol's message framing only, never the contents.
type pgCounter struct {
	ln     net.Listener
	target string
	trips  atomic.Int64
	xacts  atomic.Int64
	// log, when set, hears of each statement the clients send (Parse and
	// Query), and of each new round trip as '-': how to see what a path
	// costs (DSP_PGCOUNT_LOG=1 go test -bench ...).
	log func(kind byte, body []byte)
}

// newPGCounter starts the proxy for the database at dbURL and returns it
// with the URL that goes through it.
func newPGCounter(t testing.TB, dbURL string) (*pgCounter, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgCounter{ln: ln, target: u.Host}
	if os.Getenv("DSP_PGCOUNT_LOG") != "" {
		p.log = func(kind byte, body []byte) {
			switch kind {
			case '-':
				t.Log("-- round trip")
			case 'P', 'Q':
				q := string(body)
				if kind == 'P' {
					_, q, _ = strings.Cut(q, "\x00") // the statement's name
				}
				q = strings.Join(strings.Fields(strings.TrimRight(q, "\x00")), " ")
				t.Logf("%c %.140s", kind, q)
			}
		}
	}
	t.Cleanup(func() { ln.Close() })
	go p.accept()
	u.Host = ln.Addr().String()
	q := u.Query()
	q.Set("sslmode", "disable") // the proxy reads the framing in the clear
	u.RawQuery = q.Encode()
	return p, u.String()
}

// snapshot returns the counts so far.
func (p *pgCounter) snapshot() (trips, xacts int64) { return p.trips.Load(), p.xacts.Load() }

func (p *pgCounter) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *pgCounter) serve(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	// answered is set when the server has written since the client last
	// did: the client's next write starts a new round trip.
	var answered atomic.Bool
	answered.Store(true)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer server.Close()
		buf := make([]byte, 32<<10)
		var cf *pgFrames
		if p.log != nil {
			// The client's first message (startup) has no type byte.
			cf = &pgFrames{head: []byte{0}, onMsg: p.log}
		}
		for {
			n, err := client.Read(buf)
			if n > 0 {
				if answered.Swap(false) {
					p.trips.Add(1)
					if p.log != nil {
						p.log('-', nil)
					}
				}
				if cf != nil {
					cf.feed(buf[:n])
				}
				if _, werr := server.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		defer client.Close()
		fr := &pgFrames{onIdle: func() { p.xacts.Add(1) }}
		buf := make([]byte, 32<<10)
		for {
			n, err := server.Read(buf)
			if n > 0 {
				answered.Store(true)
				fr.feed(buf[:n])
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	wg.Wait()
}

// pgFrames follows the server's message framing (type byte, int32 length
// counting itself) across reads and reports each ReadyForQuery 'I'.
type pgFrames struct {
	onIdle func()
	// onMsg, when set, gets every whole message (type, body).
	onMsg func(kind byte, body []byte)
	head  []byte // the part of a header read so far
	skip  int    // body bytes still to pass
	want  bool   // the body is a ReadyForQuery's status byte
	kind  byte
	body  []byte
}

func (f *pgFrames) feed(b []byte) {
	for len(b) > 0 {
		if f.skip > 0 {
			if f.want && f.onIdle != nil {
				if b[0] == 'I' {
					f.onIdle()
				}
				f.want = false
			}
			n := min(f.skip, len(b))
			if f.onMsg != nil {
				f.body = append(f.body, b[:n]...)
			}
			f.skip -= n
			b = b[n:]
			if f.skip == 0 && f.onMsg != nil {
				f.onMsg(f.kind, f.body)
				f.body = f.body[:0]
			}
			continue
		}
		need := 5 - len(f.head)
		n := min(need, len(b))
		f.head = append(f.head, b[:n]...)
		b = b[n:]
		if len(f.head) < 5 {
			return
		}
		f.kind = f.head[0]
		f.want = f.kind == 'Z'
		f.skip = int(binary.BigEndian.Uint32(f.head[1:5])) - 4
		f.head = f.head[:0]
	}
}

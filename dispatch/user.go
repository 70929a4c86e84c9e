package dispatch

import "time"

// Role is what a console user or API token may do.
type Role string

// Roles, from most to least powerful.
const (
	RoleAdmin Role = "admin"
	// RoleCoordinator is a region's coordinator: a dispatcher who sees
	// and acts on every centre's tickets and moves them between centres.
	RoleCoordinator Role = "coordinator"
	RoleDispatcher  Role = "dispatcher"
	RoleViewer      Role = "viewer"
)

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleCoordinator, RoleDispatcher, RoleViewer:
		return r, nil
	}
	return "", Errorf(EINVALID, "role %q is not one of admin, coordinator, dispatcher, viewer", s)
}

func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 4
	case RoleCoordinator:
		return 3
	case RoleDispatcher:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Allows reports whether r has at least the rights of need.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// User is a console account (a dispatcher, a coordinator, an admin).
type User struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// Token is an API bearer token. Only the SHA-256 of the secret is stored.
type Token struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Hash      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Session is a logged-in console user. The ID is random and only its hash is
// stored; CSRF is the token that forms must send back.
type Session struct {
	IDHash    string
	UserID    int64
	CSRF      string
	ExpiresAt time.Time
	User      *User
}

// Actor names who did something, for the audit timeline.
type Actor string

// Actors that are not a person.
const (
	ActorSystem Actor = "system"
	ActorClient Actor = "client"
)

// Package dispatch is the domain of the Dispatcher Service: the people
// (clients who ask for help, volunteers who give it), the tickets that join
// them, the ticket state machine, matching and scoring, and the interfaces
// that the adapters (storage, intake, notify, the HTTP packages) implement.
//
// It imports only the standard library. Adapters depend on it, never the
// reverse.
package dispatch

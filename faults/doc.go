// Package faults holds the fault tests of issue 7: the service's real
// processes (cmd/dispatcher, built once per test run) under load from
// cmd/loadgen/load while one of them is killed, Redis restarts or is
// flushed, PostgreSQL goes away, the fake Twilio throttles, and volunteers
// answer twice or at once. Each test ends by checking the books: every
// request answered 2xx became one ticket, no ticket went to two
// volunteers, no text left twice, no ticket is in an impossible state.
//
// `make test` runs short versions on private servers that no other test
// uses: a redis-server started on a free port and a database of its own
// reached through a TCP proxy the test can cut. `make chaos`
// (scripts/chaos.sh) sets DSP_CHAOS=1 for long versions, which also restart
// the machine's PostgreSQL, and DSP_CHAOS_REPORT=dir for their reports.
package faults

package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"

	"github.com/lib/pq"

	"github.com/kz-volunteers/dispatcher/dispatch"
)

// conflicts names, for each unique constraint, what a duplicate means to the
// person who sent it.
var conflicts = map[string]string{
	"clients_phone_key":                 "a client with this phone number exists already",
	"volunteers_phone_key":              "a volunteer with this phone number exists already",
	"tickets_source_id_key":             "a ticket from this call, message or idempotency key exists already",
	"tickets_code_key":                  "a ticket with this code exists already",
	"inbound_messages_message_sid_key":  "this message was received already",
	"users_name_key":                    "a user with this name exists already",
	"api_tokens_hash_key":               "this token exists already",
	"sessions_pkey":                     "this session exists already",
	"offers_ticket_id_volunteer_id_key": "this ticket was offered to this volunteer already",
	"offers_one_accept_idx":             "another volunteer has accepted this ticket already",
	"notifications_provider_sid_key":    "a message with this provider id exists already",
	"notifications_key_key":             "a message with this key exists already",
}

// checks names, for each check constraint, the rule a value broke.
var checks = map[string]string{
	"clients_phone_check":        "phone must be in E.164 form, like +77011234567",
	"volunteers_phone_check":     "phone must be in E.164 form, like +77011234567",
	"clients_lang_check":         "language must be one of kk, ru, en",
	"tickets_lang_check":         "language must be one of kk, ru, en",
	"clients_check":              "location needs both lat and lon",
	"volunteers_check":           "location needs both lat and lon",
	"tickets_check":              "location needs both lat and lon",
	"volunteers_max_tasks_check": "max_tasks must be between 1 and 20",
	"volunteers_available_approved": "a volunteer who is not approved cannot be available: " +
		"approve the sign-up on the page of new volunteers (/console/volunteers/pending)",
	"tickets_channel_check":      "channel must be one of voice, sms, web, api, console, system",
	"tickets_urgency_check":      "urgency must be normal or urgent",
	"tickets_status_check":       "unknown ticket status",
	"offers_status_check":        "unknown offer status",
	"notifications_status_check": "unknown notification status",
	"users_role_check":           "role must be one of admin, dispatcher, viewer",
	"api_tokens_role_check":      "role must be one of admin, dispatcher, viewer",
}

// references names, for each foreign key, what was missing.
var references = map[string]string{
	"tickets_client_id_fkey":          "the client does not exist",
	"tickets_volunteer_id_fkey":       "the volunteer does not exist",
	"ticket_events_ticket_id_fkey":    "the ticket does not exist",
	"offers_ticket_id_fkey":           "the ticket does not exist",
	"offers_volunteer_id_fkey":        "the volunteer does not exist",
	"notifications_ticket_id_fkey":    "the ticket does not exist",
	"inbound_messages_ticket_id_fkey": "the ticket does not exist",
	"sessions_user_id_fkey":           "the user does not exist",
}

// wrap turns a database error into a dispatch error with op. It is the one
// place that knows PostgreSQL's error codes. A *dispatch.Error passes
// through with op added.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *dispatch.Error
	if errors.As(err, &de) {
		return dispatch.E(op, err)
	}
	code, msg := classify(err)
	return &dispatch.Error{Code: code, Op: op, Message: msg, Err: err}
}

func classify(err error) (code, msg string) {
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			if m, ok := conflicts[pe.Constraint]; ok {
				return dispatch.ECONFLICT, m
			}
			return dispatch.ECONFLICT, "a record with these values exists already"
		case "23514": // check_violation
			if m, ok := checks[pe.Constraint]; ok {
				return dispatch.EINVALID, m
			}
			return dispatch.EINVALID, fmt.Sprintf("a value breaks the rule %s", pe.Constraint)
		case "23503": // foreign_key_violation
			if m, ok := references[pe.Constraint]; ok {
				return dispatch.EINVALID, m
			}
			return dispatch.EINVALID, "a referenced record does not exist"
		case "23502": // not_null_violation
			return dispatch.EINVALID, fmt.Sprintf("%s is required", pe.Column)
		case "22P02", "22001", "22003", "22007", "22008", "22023": // bad text, too long, out of range, bad date
			return dispatch.EINVALID, "a value is malformed or out of range"
		case "40001", "40P01", "55P03": // serialization failure, deadlock, lock not available
			return dispatch.ECONFLICT, "the record was changed at the same time; try again"
		case "P0001": // raise_exception, from our triggers
			return dispatch.ECONFLICT, pe.Message
		case "57P01", "57P02", "57P03", "53300": // shutting down, too many connections
			return dispatch.EUNAVAILABLE, "PostgreSQL is not available"
		}
		return dispatch.EINTERNAL, ""
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.DeadlineExceeded) {
		return dispatch.EUNAVAILABLE, "PostgreSQL is not available"
	}
	return dispatch.EINTERNAL, ""
}

// notFound is the ENOTFOUND error of a finder, or wrap's for anything else.
func notFound(op string, err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return dispatch.E(op, dispatch.Errorf(dispatch.ENOTFOUND, format, args...))
	}
	return wrap(op, err)
}

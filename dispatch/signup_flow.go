package dispatch

import (
	"context"
	"strconv"
	"time"
)

// SignupHandler answers the texts that belong to an SMS sign-up. The
// conversation asks it before treating a text from an unknown number as a
// request for help.
type SignupHandler interface {
	// HandleSignup reports whether m belonged to a sign-up (started or
	// continued one) and was answered.
	HandleSignup(ctx context.Context, m *InboundMessage) (bool, error)
}

// SignupOptions tune Signups. Zero values take the defaults.
type SignupOptions struct {
	Now func() time.Time
}

// Signups runs SMS sign-ups and the registry's approvals.
type Signups struct {
	store Store
	geo   GeoIndex
	msgs  Messages
	opts  SignupOptions
}

var _ SignupHandler = (*Signups)(nil)

// NewSignups returns the sign-up handler and registry. store's
// transactions must implement SignupRepo (and CentreRepo for the public
// form's districts); geo receives approved volunteers; msgs renders the
// signup.* texts of configs/messages.
func NewSignups(store Store, geo GeoIndex, msgs Messages, opts SignupOptions) *Signups {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Signups{store: store, geo: geo, msgs: msgs, opts: opts}
}

// reply queues the signup.<key> text in lang to phone under the outbox key
// nkey, in r's transaction.
func (s *Signups) reply(ctx context.Context, r Repo, nkey, phone, key string, lang Lang) error {
	var data map[string]any
	if key == "district" {
		data = map[string]any{"Districts": SignupDistrictList(lang)}
	}
	return QueueMessage(ctx, r, s.msgs, nkey, phone, lang, nil, "signup."+key, data)
}

// HandleSignup starts a sign-up on a keyword, or takes the next answer of
// one in progress. A STOP ends a sign-up in progress and is left to the
// conversation's usual STOP handling. The sign-up, the pending volunteer it
// ends in and the reply commit together.
func (s *Signups) HandleSignup(ctx context.Context, m *InboundMessage) (bool, error) {
	const op = "dispatch.Signups.HandleSignup"
	handled := false
	err := s.store.InTx(ctx, func(r Repo) error {
		sr, err := signupRepo(op, r)
		if err != nil {
			return err
		}
		su, err := sr.Signup(ctx, m.From)
		var key string
		switch {
		case IsCode(err, ENOTFOUND):
			lang, ok := SignupKeyword(m.Body)
			if !ok {
				return nil
			}
			su = &Signup{Phone: m.From, Lang: lang, Step: SignupName}
			key = "name"
		case err != nil:
			return err
		case su.Step == SignupDone:
			return nil // finished: the volunteer's own texts go elsewhere
		case ParseCommand(m.Body).Kind == CmdStop:
			return sr.DeleteSignup(ctx, m.From)
		default:
			key = su.Advance(m.Body)
		}
		handled = true
		// Recorded in the same transaction: a retry of this text by
		// Twilio finds it and changes nothing.
		if err := r.SaveInbound(ctx, m); IsCode(err, ECONFLICT) {
			return errSignupSeen
		} else if err != nil {
			return err
		}
		switch su.Step {
		case "":
			if err := sr.DeleteSignup(ctx, m.From); err != nil {
				return err
			}
		case SignupDone:
			if err := s.finish(ctx, sr, su); err != nil {
				return err
			}
			fallthrough
		default:
			if err := sr.SaveSignup(ctx, su); err != nil {
				return err
			}
		}
		return s.reply(ctx, r, "reply:"+m.MessageSID, m.From, key, su.Lang)
	})
	if err == errSignupSeen {
		return true, nil
	}
	return handled, E(op, err)
}

// errSignupSeen rolls back the answer to a text handled before.
var errSignupSeen = Errorf(ECONFLICT, "this text was answered before")

// finish makes the pending volunteer: not available and so never in the
// geo index until a dispatcher approves them.
func (s *Signups) finish(ctx context.Context, sr SignupRepo, su *Signup) error {
	now := s.opts.Now()
	su.ConsentAt = &now
	langs := su.Languages
	if len(langs) == 0 {
		langs = []Lang{su.Lang}
	}
	v := &Volunteer{Name: su.Name, Phone: su.Phone, Languages: langs, Skills: su.Skills,
		Location: su.Location, Available: false, MaxTasks: 1}
	if v.Skills == nil {
		v.Skills = []Skill{}
	}
	if err := sr.CreateVolunteer(ctx, v); err != nil {
		return err
	}
	su.VolunteerID = &v.ID
	if err := sr.SetRegistry(ctx, v.ID, RegistryPending); err != nil {
		return err
	}
	return sr.RecordConsent(ctx, v.ID, now, ChannelSMS)
}

// Pending lists volunteers waiting for approval, oldest first.
func (s *Signups) Pending(ctx context.Context, limit int) ([]*Volunteer, error) {
	const op = "dispatch.Signups.Pending"
	var out []*Volunteer
	err := s.store.InTx(ctx, func(r Repo) error {
		sr, err := signupRepo(op, r)
		if err != nil {
			return err
		}
		out, err = sr.PendingVolunteers(ctx, limit)
		return err
	})
	return out, E(op, err)
}

// Approve makes a pending volunteer approved and available, texts them,
// and puts them in the geo index. Approving an approved volunteer again
// only repeats the geo index step (for a retry after Redis failed); a
// rejected one is ECONFLICT.
func (s *Signups) Approve(ctx context.Context, volunteerID int64) (*Volunteer, error) {
	const op = "dispatch.Signups.Approve"
	var v *Volunteer
	err := s.store.InTx(ctx, func(r Repo) error {
		sr, err := signupRepo(op, r)
		if err != nil {
			return err
		}
		st, err := sr.Registry(ctx, volunteerID)
		if err != nil {
			return err
		}
		if v, err = sr.Volunteer(ctx, volunteerID); err != nil {
			return err
		}
		switch st {
		case RegistryApproved:
			return nil
		case RegistryRejected:
			return Errorf(ECONFLICT, "volunteer %d was rejected", volunteerID)
		}
		if err := sr.SetRegistry(ctx, volunteerID, RegistryApproved); err != nil {
			return err
		}
		v.Available = true
		if err := sr.UpdateVolunteer(ctx, v); err != nil {
			return err
		}
		lang := LangRU
		if len(v.Languages) > 0 {
			lang = v.Languages[0]
		}
		return s.reply(ctx, r, "approved:"+strconv.FormatInt(volunteerID, 10), v.Phone, "approved", lang)
	})
	if err != nil {
		return nil, E(op, err)
	}
	if v.CanTakeWork() {
		if err := s.geo.Set(ctx, v.ID, *v.Location); err != nil {
			return v, E(op, err)
		}
	}
	return v, nil
}

// Reject marks a pending volunteer rejected; they stay unavailable.
func (s *Signups) Reject(ctx context.Context, volunteerID int64) error {
	const op = "dispatch.Signups.Reject"
	return E(op, s.store.InTx(ctx, func(r Repo) error {
		sr, err := signupRepo(op, r)
		if err != nil {
			return err
		}
		st, err := sr.Registry(ctx, volunteerID)
		if err != nil {
			return err
		}
		if st != RegistryPending {
			return Errorf(ECONFLICT, "volunteer %d is %s, not pending", volunteerID, st)
		}
		return sr.SetRegistry(ctx, volunteerID, RegistryRejected)
	}))
}

// Wrap returns an SMSHandler that gives a text from a number that is no
// volunteer's to the sign-up first, and every other text to next (the
// conversation). Wrapping, rather than a hook inside the conversation,
// keeps the sign-up out of the conversation's code.
func (s *Signups) Wrap(next SMSHandler) SMSHandler { return signupSMS{s: s, next: next} }

type signupSMS struct {
	s    *Signups
	next SMSHandler
}

func (h signupSMS) HandleSMS(ctx context.Context, m *InboundMessage) error {
	if m.MessageSID == "" || m.From == "" {
		return h.next.HandleSMS(ctx, m) // it names what is missing
	}
	v, err := h.s.store.VolunteerByPhone(ctx, m.From)
	if err == nil {
		if ok, err := h.s.holdPending(ctx, v, m); ok || err != nil {
			return err
		}
		return h.next.HandleSMS(ctx, m)
	} else if !IsCode(err, ENOTFOUND) {
		return E("dispatch.Signups.HandleSMS", err)
	}
	if ok, err := h.s.HandleSignup(ctx, m); ok || err != nil {
		return err
	}
	return h.next.HandleSMS(ctx, m)
}

// holdPending answers a volunteer who is not approved (pending or
// rejected) with the waiting text, so that no command of theirs (such as
// "available") can make them available or put them in the geo index
// before a dispatcher approves them. STOP still goes to the conversation.
func (s *Signups) holdPending(ctx context.Context, v *Volunteer, m *InboundMessage) (bool, error) {
	const op = "dispatch.Signups.holdPending"
	if ParseCommand(m.Body).Kind == CmdStop {
		return false, nil
	}
	held := false
	err := s.store.InTx(ctx, func(r Repo) error {
		sr, err := signupRepo(op, r)
		if err != nil {
			return err
		}
		st, err := sr.Registry(ctx, v.ID)
		if err != nil || st == RegistryApproved {
			return err
		}
		held = true
		if err := r.SaveInbound(ctx, m); IsCode(err, ECONFLICT) {
			return errSignupSeen
		} else if err != nil {
			return err
		}
		lang := LangRU
		if len(v.Languages) > 0 {
			lang = v.Languages[0]
		}
		return s.reply(ctx, r, "reply:"+m.MessageSID, m.From, "waiting", lang)
	})
	if err == errSignupSeen {
		return true, nil
	}
	return held, E(op, err)
}

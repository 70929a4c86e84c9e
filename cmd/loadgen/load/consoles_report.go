package load

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Arrival is one note event read off one console stream.
type Arrival struct {
	EventID, Ticket int64
	At              time.Time
}

// Expected is a note the generator sent and found on its ticket's
// timeline: when it was sent and answered, and whether the console's user
// may see it (their centre, or an unrouted ticket).
type Expected struct {
	Ticket         int64
	Sent, Answered time.Time
	Visible        bool
}

// ConsoleTally is what the streams got against what they should have got.
type ConsoleTally struct {
	// Delays: first arrival minus the note's send time, every stream.
	Delays []time.Duration
	// WorstStreamP99 is the highest of the streams' own p99 delays.
	WorstStreamP99 time.Duration
	// Per stream and summed over the streams: notes the user may see,
	// received once or more, never received, received more than once
	// (each extra copy counts), and received although of another centre.
	Expected, Delivered, Lost, Duplicated, Foreign int
	// Unknown counts note events no note of this run explains.
	Unknown int
	// Streams that lost or duplicated at least one note, and the most one
	// stream lost.
	StreamsLosing, StreamsDuplicating, MostLost int
	// Per second since t0 (by send time): the delays.
	Timeline []Second
}

// Tally accounts for every stream: each visible note once, no invisible
// one, no copy.
func Tally(expected map[int64]Expected, streams [][]Arrival, t0 time.Time) ConsoleTally {
	var t ConsoleTally
	visible := 0
	for _, e := range expected {
		if e.Visible {
			visible++
		}
	}
	secs := map[int][]time.Duration{}
	for _, arr := range streams {
		seen := make(map[int64]bool, len(arr))
		var mine []time.Duration
		dup := 0
		for _, a := range arr {
			e, ok := expected[a.EventID]
			switch {
			case !ok:
				t.Unknown++
				continue
			case !e.Visible:
				t.Foreign++
				continue
			case seen[a.EventID]:
				dup++
				continue
			}
			seen[a.EventID] = true
			d := a.At.Sub(e.Sent)
			mine = append(mine, d)
			k := int(e.Sent.Sub(t0) / time.Second)
			secs[k] = append(secs[k], d)
		}
		lost := visible - len(seen)
		t.Expected += visible
		t.Delivered += len(seen)
		t.Lost += lost
		t.Duplicated += dup
		if lost > 0 {
			t.StreamsLosing++
			t.MostLost = max(t.MostLost, lost)
		}
		if dup > 0 {
			t.StreamsDuplicating++
		}
		t.Delays = append(t.Delays, mine...)
		if l := summarize(mine); l.N > 0 {
			t.WorstStreamP99 = max(t.WorstStreamP99, time.Duration(l.P99*float64(time.Millisecond)))
		}
	}
	last := -1
	for k := range secs {
		last = max(last, k)
	}
	for k := 0; k <= last; k++ {
		l := summarize(secs[k])
		t.Timeline = append(t.Timeline, Second{T: k, Sent: l.N, P50: l.P50, P99: l.P99, Max: l.Max})
	}
	return t
}

// ConsoleReport is one live-console run.
type ConsoleReport struct {
	Kind     string   `json:"kind"` // "consoles"
	Label    string   `json:"label,omitempty"`
	Started  string   `json:"started"`
	Targets  []string `json:"targets"`
	Streams  int      `json:"streams"`
	Rate     float64  `json:"rate"`
	Duration string   `json:"duration"`
	Centre   int64    `json:"user_centre"`

	NotesSent   int     `json:"notes_sent"`
	NotesOK     int     `json:"notes_ok"`
	NotesPerSec float64 `json:"notes_per_second"`
	// NoteResponse is the API's answer time for a note: the part of the
	// delivery delay before the commit.
	NoteResponse Latency `json:"note_response"`
	// Delivery is send → arrival on a stream, every stream's first copy.
	Delivery       Latency `json:"delivery"`
	WorstStreamP99 float64 `json:"worst_stream_p99_ms"`

	Expected           int `json:"expected"`
	Delivered          int `json:"delivered"`
	Lost               int `json:"lost"`
	Duplicated         int `json:"duplicated"`
	Foreign            int `json:"other_centre"`
	Unknown            int `json:"unknown"`
	Unpaired           int `json:"unpaired"`
	StreamsLosing      int `json:"streams_losing"`
	StreamsDuplicating int `json:"streams_duplicating"`
	MostLost           int `json:"most_lost_by_one_stream"`
	Reconnects         int `json:"reconnects"`
	Reloads            int `json:"reloads"`

	Errors   map[string]int `json:"errors"`
	Timeline []Second       `json:"timeline"`
}

// Clean reports whether every stream got every note it should once and
// nothing it should not.
func (rep *ConsoleReport) Clean() bool {
	return rep.Lost == 0 && rep.Duplicated == 0 && rep.Foreign == 0 && rep.Unpaired == 0 && rep.Expected > 0
}

func (r *ConsoleRunner) report(sendDur time.Duration, expected map[int64]Expected, unpaired int) *ConsoleReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cfg
	rep := &ConsoleReport{Kind: "consoles", Started: r.t0.UTC().Format(time.RFC3339), Targets: c.Targets,
		Streams: c.Streams, Rate: c.Rate, Duration: c.Duration.String(), Centre: c.Centre, Errors: r.errs, Unpaired: unpaired}
	var resp []time.Duration
	for _, ns := range r.notes {
		for _, n := range ns {
			rep.NotesSent++
			if n.status == 204 {
				rep.NotesOK++
				resp = append(resp, n.answered.Sub(n.sent))
			}
		}
	}
	rep.NotesPerSec = math.Round(float64(rep.NotesOK)/sendDur.Seconds()*10) / 10
	rep.NoteResponse = summarize(resp)
	arrivals := make([][]Arrival, len(r.streams))
	for i, s := range r.streams {
		arrivals[i] = s.arrivals
		rep.Reconnects += s.reconnects
		rep.Reloads += s.reloads
	}
	t := Tally(expected, arrivals, r.t0)
	rep.Delivery, rep.WorstStreamP99, rep.Timeline = summarize(t.Delays), ms(t.WorstStreamP99), t.Timeline
	rep.Expected, rep.Delivered, rep.Lost, rep.Duplicated, rep.Foreign, rep.Unknown =
		t.Expected, t.Delivered, t.Lost, t.Duplicated, t.Foreign, t.Unknown
	rep.StreamsLosing, rep.StreamsDuplicating, rep.MostLost = t.StreamsLosing, t.StreamsDuplicating, t.MostLost
	return rep
}

// Markdown is the run as a person reads it.
func (rep *ConsoleReport) Markdown() string {
	var b strings.Builder
	title := rep.Label
	if title == "" {
		title = "Live consoles"
	}
	fmt.Fprintf(&b, "# %s\n\n%s, %d process(es), %d console streams of one dispatcher (centre %d; 0: all), %.0f notes/s for %s.\n\n",
		title, rep.Started, len(rep.Targets), rep.Streams, rep.Centre, rep.Rate, rep.Duration)
	b.WriteString("| measure | n | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n")
	row := func(name string, l Latency) {
		fmt.Fprintf(&b, "| %s | %d | %.2f | %.2f | %.2f | %.2f |\n", name, l.N, l.P50, l.P95, l.P99, l.Max)
	}
	row("note sent → arrival on a console (every stream)", rep.Delivery)
	row("note sent → API answered (commit)", rep.NoteResponse)
	fmt.Fprintf(&b, "\nWorst single stream's p99: %.2f ms. Notes: %d sent, %d answered 204: **%.1f/s**.\n\n",
		rep.WorstStreamP99, rep.NotesSent, rep.NotesOK, rep.NotesPerSec)
	verdict := "**every stream got every note of its centre once, and none of another**"
	if !rep.Clean() {
		verdict = "**not clean**"
	}
	fmt.Fprintf(&b, "Deliveries %s: %d expected, %d delivered, %d lost (%d streams, at most %d in one), %d duplicated (%d streams), "+
		"%d of another centre, %d unknown, %d unpaired notes; %d reconnects, %d reloads.\n\nErrors by kind: %s\n",
		verdict, rep.Expected, rep.Delivered, rep.Lost, rep.StreamsLosing, rep.MostLost, rep.Duplicated, rep.StreamsDuplicating,
		rep.Foreign, rep.Unknown, rep.Unpaired, rep.Reconnects, rep.Reloads, kv(rep.Errors))
	return b.String()
}

// Write puts report.json, report.md and latency.svg into dir.
func (rep *ConsoleReport) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), b, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(rep.Markdown()), 0o644); err != nil {
		return err
	}
	svg := timelineSVG("Console delivery time per second (by send time)", "notes delivered/s, all streams", rep.Timeline)
	return os.WriteFile(filepath.Join(dir, "latency.svg"), []byte(svg), 0o644)
}

func sortedIDs(ids []int64) []int64 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

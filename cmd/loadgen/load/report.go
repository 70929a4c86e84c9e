package load

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Latency summarises durations in milliseconds.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return ms(ds[max(i, 0)])
	}
	return Latency{N: len(ds), P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: ms(ds[len(ds)-1])}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// Second is one second of the run on the latency-over-time chart.
type Second struct {
	T      int     `json:"t"`
	Sent   int     `json:"answered"`
	Errors int     `json:"errors"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

// Report is everything one run measured.
type Report struct {
	Label    string   `json:"label,omitempty"`
	Started  string   `json:"started"`
	Targets  []string `json:"targets"`
	Rate     float64  `json:"rate"`
	Duration string   `json:"duration"`
	Mix      string   `json:"mix"`

	// Intakes sent, and those answered 2xx; per second over the sending
	// time.
	Intakes      int     `json:"intakes"`
	IntakesOK    int     `json:"intakes_ok"`
	SendSeconds  float64 `json:"send_seconds"`
	SustainedRPS float64 `json:"sustained_rps"`
	// Webhook response times: every answered attempt, and by group.
	Webhooks Latency            `json:"webhooks"`
	ByGroup  map[string]Latency `json:"by_group"`
	// Intake to the first offer handed to Twilio, and to the assignment
	// (the winning volunteer's "1" answered; includes the simulated
	// volunteer's think time, AcceptDelay).
	ToFirstOffer Latency `json:"intake_to_first_offer"`
	ToAssignment Latency `json:"intake_to_assignment"`

	Errors     map[string]int `json:"errors"`
	Volunteers map[string]int `json:"volunteer_actions"`
	Texts      map[string]int `json:"texts_by_kind"`
	Books      *Books         `json:"books"`
	Timeline   []Second       `json:"timeline"`
}

func (r *Runner) report(sendDur time.Duration, books *Books) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cfg
	rep := &Report{Started: r.t0.UTC().Format(time.RFC3339), Targets: c.Targets, Rate: c.Rate,
		Duration: c.Duration.String(), Mix: fmt.Sprintf("sms %.2f, voice %.2f, web %.2f", c.MixSMS, c.MixVoice, c.MixWeb),
		SendSeconds: math.Round(sendDur.Seconds()*100) / 100, ByGroup: map[string]Latency{},
		Errors: r.errs, Volunteers: r.actions, Texts: map[string]int{}, Books: books}
	for _, in := range r.intakes {
		rep.Intakes++
		if in.accepted {
			rep.IntakesOK++
		}
	}
	rep.SustainedRPS = math.Round(float64(rep.IntakesOK)/sendDur.Seconds()*10) / 10
	var all []time.Duration
	groups := map[string][]time.Duration{}
	secs := map[int][]time.Duration{}
	secErr := map[int]int{}
	for _, s := range r.samples {
		all = append(all, s.latency)
		groups[s.group] = append(groups[s.group], s.latency)
		k := int(s.at / time.Second)
		secs[k] = append(secs[k], s.latency)
		if s.status/100 != 2 {
			secErr[k]++
		}
	}
	rep.Webhooks = summarize(all)
	for g, ds := range groups {
		rep.ByGroup[g] = summarize(ds)
	}
	last := 0
	for k := range secs {
		last = max(last, k)
	}
	for k := 0; k <= last; k++ {
		l := summarize(secs[k])
		rep.Timeline = append(rep.Timeline, Second{T: k, Sent: l.N, Errors: secErr[k], P50: l.P50, P99: l.P99, Max: l.Max})
	}
	for _, s := range r.sent {
		rep.Texts[s.Kind]++
	}
	toOffer, toAssign := r.pipelineTimes()
	rep.ToFirstOffer, rep.ToAssignment = summarize(toOffer), summarize(toAssign)
	return rep
}

// pipelineTimes pairs each ticket with the request that made it: the web
// share knows its code from the answer; a text or call is paired with its
// number's ticket (in order, when a number sent several).
// Caller holds mu.
func (r *Runner) pipelineTimes() (toOffer, toAssign []time.Duration) {
	starts := map[string]time.Time{}
	byPhone := map[string][]time.Time{}
	for _, in := range r.intakes {
		switch {
		case !in.accepted:
		case in.code != "":
			starts[in.code] = in.start
		default:
			byPhone[in.phone] = append(byPhone[in.phone], in.start)
		}
	}
	for phone, ts := range byPhone {
		var codes []string
		for _, c := range r.codesOf[phone] {
			if starts[c].IsZero() {
				codes = append(codes, c)
			}
		}
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		for i := 0; i < len(ts) && i < len(codes); i++ {
			starts[codes[i]] = ts[i]
		}
	}
	for code, start := range starts {
		if at, ok := r.offers[code]; ok {
			toOffer = append(toOffer, at.Sub(start))
		}
		if as := r.assigned[code]; len(as) > 0 {
			if at, ok := r.accepted[as[0].To+" "+code]; ok {
				toAssign = append(toAssign, at.Sub(start))
			}
		}
	}
	return toOffer, toAssign
}

// Write puts report.json, report.md and latency.svg into dir.
func (rep *Report) Write(dir string) error {
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
	return os.WriteFile(filepath.Join(dir, "latency.svg"), []byte(rep.SVG()), 0o644)
}

// Markdown is the run as a table a person reads.
func (rep *Report) Markdown() string {
	var b strings.Builder
	title := rep.Label
	if title == "" {
		title = "Load run"
	}
	fmt.Fprintf(&b, "# %s\n\n%s, %d process(es), %.0f requests/s for %s, mix %s.\n\n", title, rep.Started,
		len(rep.Targets), rep.Rate, rep.Duration, rep.Mix)
	b.WriteString("| measure | n | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n")
	row := func(name string, l Latency) {
		fmt.Fprintf(&b, "| %s | %d | %.2f | %.2f | %.2f | %.2f |\n", name, l.N, l.P50, l.P95, l.P99, l.Max)
	}
	row("webhook response, all", rep.Webhooks)
	for _, g := range []string{GroupSMS, GroupVoice, GroupWeb, GroupVolunteer} {
		if l, ok := rep.ByGroup[g]; ok {
			row("webhook response, "+g, l)
		}
	}
	row("intake → first offer sent", rep.ToFirstOffer)
	row("intake → assignment", rep.ToAssignment)
	fmt.Fprintf(&b, "\nIntakes: %d sent, %d answered 2xx in %.1f s: **%.1f/s sustained**.\n\n", rep.Intakes, rep.IntakesOK,
		rep.SendSeconds, rep.SustainedRPS)
	b.WriteString("Errors by kind: " + kv(rep.Errors) + "\n\nVolunteers: " + kv(rep.Volunteers) +
		"\n\nTexts sent, by kind: " + kv(rep.Texts) + "\n\n")
	if bk := rep.Books; bk != nil {
		verdict := "**balance**"
		if !bk.Balanced {
			verdict = "**do not balance**"
		}
		fmt.Fprintf(&b, "Books %s: %d intakes accepted, %d failed; %d tickets of this run (%d in all); lost %d, "+
			"made twice %d, assigned twice %d, texts sent twice %d, impossible states %d, unconfirmed %d; "+
			"%d timelines read. States: %s.\n", verdict, bk.Accepted, bk.Failed, bk.Tickets, bk.TicketsTotal, bk.Lost,
			bk.Twice, bk.AssignedTwice, bk.DuplicateTexts, bk.BadState, bk.Unconfirmed, bk.Checked, kv(bk.Statuses))
		for _, p := range bk.Problems {
			b.WriteString("- " + p + "\n")
		}
	}
	return b.String()
}

func kv(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// SVG draws p50, p99 and max webhook response time per second, on a
// logarithmic scale, with the answered requests per second below.
func (rep *Report) SVG() string {
	return timelineSVG("Webhook response time per second", "answered/s", rep.Timeline)
}

// timelineSVG draws a timeline's p50, p99 and max on a log scale over its
// counts per second.
func timelineSVG(title, countLabel string, timeline []Second) string {
	const w, h, left, top, plotH, rateH = 760, 380, 60, 30, 220, 70
	plotW := w - left - 20
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<title>%s</title><rect width="%d" height="%d" fill="white"/>`+"\n", title, w, h)
	n := len(timeline)
	if n == 0 {
		return b.String() + "</svg>\n"
	}
	x := func(i int) float64 { return left + float64(i)*float64(plotW)/float64(max(n-1, 1)) }
	// 0.1 ms to 10 s, log scale.
	y := func(v float64) float64 {
		v = math.Min(math.Max(v, 0.1), 10000)
		return top + plotH - (math.Log10(v)+1)/5*plotH
	}
	for _, g := range []float64{0.1, 1, 10, 100, 1000, 10000} {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%g ms</text>`+"\n",
			left, w-20, y(g), y(g), left-4, y(g)+4, g)
	}
	line := func(color, name string, v func(Second) float64, ly int) {
		pts := make([]string, 0, n)
		for i, s := range timeline {
			if s.Sent > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v(s))))
			}
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`+"\n", left+10+ly*70, 18, color, name)
	}
	line("#1b9e77", "p50", func(s Second) float64 { return s.P50 }, 0)
	line("#d95f02", "p99", func(s Second) float64 { return s.P99 }, 1)
	line("#7570b3", "max", func(s Second) float64 { return s.Max }, 2)
	peak := 1
	for _, s := range timeline {
		peak = max(peak, s.Sent)
	}
	base := float64(top + plotH + 30 + rateH)
	for i, s := range timeline {
		bh := float64(s.Sent) / float64(peak) * rateH
		eh := float64(s.Errors) / float64(peak) * rateH
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#9ecae1"/>`, x(i)-1, base-bh, math.Max(float64(plotW)/float64(n)-1, 1), bh)
		if eh > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#e31a1c"/>`, x(i)-1, base-eh, math.Max(float64(plotW)/float64(n)-1, 1), eh)
		}
	}
	fmt.Fprintf(&b, "\n"+`<text x="%d" y="%.1f">%s (peak %d; red: not 2xx)</text>`+"\n", left, base+14, html.EscapeString(countLabel), peak)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">seconds into the run (%d)</text>`+"\n", w-20, h-4, n)
	b.WriteString("</svg>\n")
	return b.String()
}

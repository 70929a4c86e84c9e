package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kz-volunteers/dispatcher/cmd/loadgen/load"
)

// summary prints one Markdown table row per report.json, with the
// sustained rate as a share of the raw INSERT ceiling measured in the same
// bench run: `loadgen summary -insert-rate 8500 reports/x/*/report.json`.
func summary(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	insert := fs.Float64("insert-rate", 0, "pgbench one-row INSERTs per second measured in the same run")
	cons := fs.Bool("consoles", false, "the reports are of `loadgen consoles` runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cons {
		return consoleSummary(fs.Args(), w)
	}
	fmt.Fprintln(w, "| run | processes | offered /s | sustained /s | ratio to raw INSERT | webhook p50 / p95 / p99 / max ms | intake→first offer p50 / p99 ms | intake→assignment p50 / p99 ms | not sent (generator saturated) | errors | books |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|---|---|---:|---:|---|")
	for _, path := range fs.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var r load.Report
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		ratio := "–"
		if *insert > 0 {
			ratio = fmt.Sprintf("%.2f", r.SustainedRPS / *insert)
		}
		errs, saturated := 0, r.Errors["generator_saturated"]
		for _, n := range r.Errors {
			errs += n
		}
		errs -= saturated
		books := "balance"
		if r.Books == nil || !r.Books.Balanced {
			books = "**do not balance**"
		}
		name := r.Label
		if name == "" {
			name = filepath.Base(filepath.Dir(path))
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %.1f | %s | %.1f / %.1f / %.1f / %.0f | %.0f / %.0f | %.0f / %.0f | %d | %d | %s |\n",
			name, len(r.Targets), r.Rate, r.SustainedRPS, ratio, r.Webhooks.P50, r.Webhooks.P95, r.Webhooks.P99, r.Webhooks.Max,
			r.ToFirstOffer.P50, r.ToFirstOffer.P99, r.ToAssignment.P50, r.ToAssignment.P99, saturated, errs, books)
	}
	return nil
}

// consoleSummary prints one row per `loadgen consoles` report.json.
func consoleSummary(paths []string, w io.Writer) error {
	fmt.Fprintln(w, "| run | processes | consoles | notes /s offered / answered | delivery p50 / p95 / p99 / max ms | worst stream p99 ms | note commit p50 / p99 ms | expected | lost | duplicated | other centre's | reconnects | verdict |")
	fmt.Fprintln(w, "|---|---:|---:|---|---|---:|---|---:|---:|---:|---:|---:|---|")
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var r load.ConsoleReport
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		name := r.Label
		if name == "" {
			name = filepath.Base(filepath.Dir(path))
		}
		verdict := "clean"
		if !r.Clean() {
			verdict = "**not clean**"
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.0f / %.1f | %.1f / %.1f / %.1f / %.0f | %.1f | %.1f / %.1f | %d | %d | %d | %d | %d | %s |\n",
			name, len(r.Targets), r.Streams, r.Rate, r.NotesPerSec, r.Delivery.P50, r.Delivery.P95, r.Delivery.P99, r.Delivery.Max,
			r.WorstStreamP99, r.NoteResponse.P50, r.NoteResponse.P99, r.Expected, r.Lost, r.Duplicated, r.Foreign, r.Reconnects, verdict)
	}
	return nil
}

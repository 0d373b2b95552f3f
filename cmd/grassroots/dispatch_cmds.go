package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"grassroots/internal/dispatch"
)

// runDispatch trains a smart-dispatch model from a labelled CSV (columns
// text,label with a header row) or measures one on another CSV. Neither
// touches the database: the server trains its own from the county's cases.
func runDispatch(_ context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fs := newFlags("dispatch", cfg,
		"dispatch train --from FILE.csv --out MODEL",
		"dispatch eval --model MODEL --test FILE.csv [--gate G] [--json]")
	from := fs.String("from", "", "labelled `CSV` to train on (columns text,label; header row)")
	outPath := fs.String("out", "", "`file` to write the trained model to")
	modelPath := fs.String("model", "", "model `file` to measure")
	test := fs.String("test", "", "labelled `CSV` to measure the model on")
	gate := fs.Float64("gate", dispatch.DefaultGate, "confidence at or above which a case would be dispatched without a person")
	asJSON := fs.Bool("json", false, "print the measurement as one JSON object")
	pos, err := parseArgs(fs, cfg, args)
	if err != nil {
		return err
	}
	verb, _, err := subcommand(fs, pos, map[string][]string{"train": nil, "eval": nil})
	if err != nil {
		return err
	}
	if *gate < 0 || *gate > 1 {
		return usageErrorf(fs, "--gate must be between 0 and 1")
	}
	if verb == "train" {
		if *from == "" || *outPath == "" {
			return usageErrorf(fs, "train needs --from FILE.csv and --out MODEL")
		}
		ex, err := readExamples(*from)
		if err != nil {
			return err
		}
		m, err := dispatch.Train(ex, dispatch.DefaultOptions())
		if err != nil {
			return fmt.Errorf("train on %s: %w", *from, err)
		}
		b, err := m.Bytes()
		if err != nil {
			return err
		}
		if err := os.WriteFile(*outPath, b, 0o644); err != nil {
			return fmt.Errorf("write model: %w", err)
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "examples\t%d\nclasses\t%d\nfeatures\t%d\nsize\t%d bytes\nmodel\t%s\n", m.Examples, len(m.Classes), m.Features(), len(b), *outPath)
		return tw.Flush()
	}
	if *modelPath == "" || *test == "" {
		return usageErrorf(fs, "eval needs --model MODEL and --test FILE.csv")
	}
	b, err := os.ReadFile(*modelPath)
	if err != nil {
		return fmt.Errorf("read model: %w", err)
	}
	m, err := dispatch.Load(b)
	if err != nil {
		return fmt.Errorf("%s: %w", *modelPath, err)
	}
	ex, err := readExamples(*test)
	if err != nil {
		return err
	}
	r := dispatch.Evaluate(m, ex, *gate)
	if *asJSON {
		return json.NewEncoder(out).Encode(r)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "examples\t%d\nclasses\t%d\naccuracy\t%.4f\nmacro-F1\t%.4f\ntop-3\t%.4f\ngate\t%.2f\ncoverage\t%.4f\ngate accuracy\t%.4f\n",
		r.Examples, r.Classes, r.Accuracy, r.MacroF1, r.Top3, r.Gate, r.Coverage, r.GateAccuracy)
	return tw.Flush()
}

func readExamples(path string) ([]dispatch.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ex, err := dispatch.ReadCSV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(ex) == 0 {
		return nil, fmt.Errorf("%s: no labelled rows", path)
	}
	return ex, nil
}

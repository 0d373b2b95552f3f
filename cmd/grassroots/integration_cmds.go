package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/open311"
	"grassroots/internal/province"
	"grassroots/internal/store"
	"grassroots/internal/timers"
	"grassroots/internal/trust"
	"grassroots/internal/webhook"
)

// The outbox worker's defaults: how often it looks for due deliveries
// (--webhook-interval) and how long its claim on a delivery holds before
// another instance may send it (--webhook-lease; the wait
// after an instance dies mid-delivery).
const (
	webhookInterval = 5 * time.Second
	webhookLease    = 2 * time.Minute
)

// wireIntegration builds the integration services once, for the UI, the
// API, Open311 and the outbox worker, and registers the outbox writers on
// the case engine: webhook deliveries and provincial status updates are
// written in the transaction of every case change.
func wireIntegration(_ context.Context, a *app) error {
	a.webhooks = webhook.NewService(a.db, a.log)
	a.keys = open311.NewKeys(a.db)
	if a.org != nil && a.org.Sealer() != nil {
		var cases trust.CaseReader
		if a.cases != nil {
			cases = a.cases
		}
		a.trust = trust.NewService(a.db, a.org.Sealer(), cases)
	}
	if a.cases == nil {
		return nil
	}
	a.province = province.NewService(a.db, a.cases, a.log)
	a.cases.OnChange(a.webhooks.OnCaseChange)
	a.cases.OnChange(a.province.OnCaseChange)
	return nil
}

// open311Handler serves Open311 GeoReport v2 at /open311/v2/. It is mounted
// beside the web UI, not in it: Open311 clients post without CSRF tokens.
func (a *app) open311Handler() http.Handler {
	d := open311.Deps{DB: a.db, Cases: a.cases, Log: a.log, Keys: a.keys}
	if a.auth != nil {
		d.ActorFor = a.auth.ActorForUser
	}
	return open311.New(d)
}

// integrationJobs is the outbox worker: it sends webhook deliveries and
// provincial status updates, once across instances.
func (a *app) integrationJobs() []func(ctx context.Context) {
	if a.cases == nil {
		return nil
	}
	pv := a.province
	interval, lease := a.cfg.webhookInterval(), a.cfg.webhookLease()
	w := webhook.NewWorker(a.db, webhook.WorkerConfig{Instance: timers.InstanceID(), Log: a.log, Lease: lease,
		Client:  &http.Client{Timeout: min(10*time.Second, lease/2)},
		Targets: map[string]webhook.Resolver{province.Target: pv.Destination},
		Outcome: a.observers().webhookOutcome})
	return []func(ctx context.Context){func(ctx context.Context) { w.Run(ctx, interval) }}
}

// runAPIKey is `grassroots apikey create --name N [--user U]`: it prints a
// new Open311 api_key once (only its hash is stored); `apikey list` and
// `apikey revoke --id N` manage them.
func runAPIKey(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fs := newFlags("apikey", cfg, "apikey create --name NAME [--user USERNAME] [flags]", "apikey list [flags]", "apikey revoke --id N [flags]")
	name := fs.String("name", "", "what the key is for, e.g. 城市App (create)")
	user := fs.String("user", "", "username requests are filed as (create; default: the system)")
	id := fs.Int64("id", 0, "key id (revoke)")
	pos, err := parseArgs(fs, cfg, args)
	if err != nil {
		return err
	}
	verb, _, err := subcommand(fs, pos, map[string][]string{"create": nil, "list": nil, "revoke": nil})
	if err != nil {
		return err
	}
	if verb == "revoke" && *id == 0 {
		return usageErrorf(fs, "revoke: --id is required")
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	keys := open311.NewKeys(db)
	switch verb {
	case "create":
		key, k, err := keys.Create(ctx, access.System, *name, *user)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(os.Stderr, "Open311 api_key %d “%s” (only shown now; clients send it as the api_key form field):\n", k.ID, k.Name)
		fmt.Fprintln(out, key)
	case "list":
		ks, err := keys.List(ctx, access.System)
		if err != nil {
			return err
		}
		for _, k := range ks {
			state := "active"
			if k.RevokedAt != nil {
				state = "revoked"
			}
			fmt.Fprintf(out, "%d\t%s…\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Name, orDash(k.Username), state)
		}
	case "revoke":
		if err := keys.Revoke(ctx, access.System, *id); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(out, "api_key %d revoked\n", *id)
	}
	return nil
}

// eventsFlag collects --events, repeatable or comma-separated.
type eventsFlag []string

func (e *eventsFlag) String() string     { return strings.Join(*e, ",") }
func (e *eventsFlag) Set(v string) error { *e = append(*e, v); return nil }

// runWebhook is `grassroots webhook add --url U --events E[,E...]`: it
// registers an endpoint and prints its signing secret once; `webhook list`
// shows the endpoints.
func runWebhook(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	fs := newFlags("webhook", cfg, "webhook add --url URL --events case.created,case.status_changed,case.answered,case.closed [--secret S] [--description D] [flags]",
		"webhook list [flags]")
	u := fs.String("url", "", "receiver URL (http or https)")
	secret := fs.String("secret", "", "signing secret (default: generated)")
	desc := fs.String("description", "", "what the receiver is")
	var events eventsFlag
	fs.Var(&events, "events", "events to send: "+strings.Join(webhook.Events, ","))
	pos, err := parseArgs(fs, cfg, args)
	if err != nil {
		return err
	}
	verb, _, err := subcommand(fs, pos, map[string][]string{"add": nil, "list": nil})
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := webhook.NewService(db, nil)
	switch verb {
	case "add":
		ep, sec, err := svc.Create(ctx, access.System, webhook.NewEndpoint{URL: *u, Events: events, Secret: *secret, Description: *desc})
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(os.Stderr, "webhook %d → %s (%s); signing secret, only shown now:\n", ep.ID, ep.URL, strings.Join(ep.Events, ","))
		fmt.Fprintln(out, sec)
	case "list":
		eps, err := svc.List(ctx, access.System)
		if err != nil {
			return err
		}
		for _, ep := range eps {
			fmt.Fprintf(out, "%d\t%s\t%s\tactive=%v\tpending=%d\tfailed=%d\n", ep.ID, ep.URL, strings.Join(ep.Events, ","), ep.Active, ep.Pending, ep.Failed)
		}
	}
	return nil
}

// cliError puts the user's message first.
func cliError(err error) error {
	if msg, ok := store.UserMessage(err); ok {
		return errors.New(msg)
	}
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

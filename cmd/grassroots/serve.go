package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"slices"
	"sync"
	"time"

	"grassroots/internal/api"
	"grassroots/internal/auth"
	"grassroots/internal/casework"
	"grassroots/internal/catalog"
	"grassroots/internal/civility"
	"grassroots/internal/clientaddr"
	"grassroots/internal/cockpit"
	"grassroots/internal/dispatch"
	"grassroots/internal/i18n"
	"grassroots/internal/open311"
	"grassroots/internal/org"
	"grassroots/internal/pairing"
	"grassroots/internal/party"
	"grassroots/internal/province"
	"grassroots/internal/report"
	"grassroots/internal/service"
	"grassroots/internal/staffing"
	"grassroots/internal/store"
	"grassroots/internal/taskforce"
	"grassroots/internal/timers"
	"grassroots/internal/trust"
	"grassroots/internal/volunteer"
	"grassroots/internal/web"
	"grassroots/internal/webhook"
	"grassroots/internal/wiring"
	"grassroots/internal/worktime"
)

func runServe(ctx context.Context, _ *config, args []string, out io.Writer) error {
	cfg := &config{}
	if err := parseFlags(serveFlags(cfg), cfg, args); err != nil {
		return err
	}
	tlsConfig, err := loadTLS(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogFormat, os.Stderr)
	slog.SetDefault(log)
	out = serveConsole(out, cfg.LogFormat) // no plain text in a log stream

	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := attachReplica(ctx, cfg, db, log); err != nil {
		return err
	}
	app, err := newApp(ctx, cfg, db, log)
	if err != nil {
		return err
	}
	if err := app.setup(ctx, out); err != nil {
		return err
	}
	handler, err := app.handler()
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}
	scheme, serve := "http", srv.Serve
	if tlsConfig != nil {
		scheme = "https"
		serve = func(ln net.Listener) error { return srv.ServeTLS(ln, "", "") } // the certificate is in TLSConfig
	}
	fmt.Fprintf(out, "grassroots %s listening on %s://%s (database %s)\n", version, scheme, ln.Addr(), redactDSN(cfg.DB))
	log.Info("serving", "addr", ln.Addr().String(), "scheme", scheme, "db", redactDSN(cfg.DB), "dialect", db.Dialect,
		"trusted_proxies", fmt.Sprint(cfg.TrustedProxies))

	if cfg.MetricsAddr != "" {
		msrv, err := app.serveMetrics(cfg.MetricsAddr, out)
		if err != nil {
			ln.Close()
			return err
		}
		defer msrv.Close()
	}

	if cfg.DebugAddr != "" {
		if err := serveDebug(cfg.DebugAddr, log); err != nil {
			return err
		}
	}

	bg, stopBG := context.WithCancel(context.Background())
	done := app.startBackground(bg)

	errc := make(chan error, 1)
	go func() { errc <- serve(ln) }()
	select {
	case err := <-errc:
		stopBG()
		<-done
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	stopBG()
	<-done
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// loadTLS reads the certificate and key serve terminates TLS with; none
// given means plain HTTP. They are read once: a renewed certificate takes
// a restart.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("give both --tls-cert and --tls-key (GRASSROOTS_TLS_CERT, GRASSROOTS_TLS_KEY), or neither")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s / --tls-key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// serveMetrics serves /metrics alone on its own address (--metrics-addr),
// to whoever reaches it: the operator decides who can by where it listens.
func (a *app) serveMetrics(addr string, out io.Writer) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on --metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.m.handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	fmt.Fprintf(out, "metrics on http://%s/metrics\n", ln.Addr())
	a.log.Info("metrics listening", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("metrics listener stopped", "err", err)
		}
	}()
	return srv, nil
}

// serveDebug serves Go's profiler (net/http/pprof) on its own loopback
// address, apart from the application's routes. The command line is not
// served: it may hold a database password.
func serveDebug(addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return fmt.Errorf("--debug-addr (GRASSROOTS_DEBUG_ADDR) %q: give a loopback address and port, such as 127.0.0.1:6060 (profiles show the program's internals)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on --debug-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("profiler listening", "addr", ln.Addr().String())
	go func() {
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		if err := srv.Serve(ln); err != nil {
			log.Error("profiler stopped", "err", err)
		}
	}()
	return nil
}

// app is the wired program: the database, the domain services, the UI and API.
type app struct {
	cfg   *config
	db    *store.DB
	log   *slog.Logger
	msgs  *i18n.Catalog
	org   *org.Service
	auth  *auth.Service
	work  *worktime.Service
	cases *casework.Service
	party *party.Service // the party registry, wired into cases
	// volunteer is the volunteer service records, the party registry's ledger.
	volunteer *volunteer.Service
	// civility is the civic behaviour records and points (appeals on cases).
	civility *civility.Service
	reports  *report.Service // the daily lists, the report card and the exports
	// The organisational ledgers: pairings, task forces, staffing posts.
	pairing   *pairing.Service
	taskforce *taskforce.Service
	staffing  *staffing.Service
	lists     *catalog.Service
	service   *service.Service
	// cockpit is the county cockpit and its monthly reports.
	cockpit *cockpit.Service

	// dispatch suggests categories from a case's words (smart dispatch).
	dispatch *dispatch.Service

	// The integration services, built once (wireIntegration) and shared
	// by the UI, the API, Open311 and the outbox worker.
	webhooks *webhook.Service
	province *province.Service
	keys     *open311.Keys
	// trust reveals sealed personal data (nil without a sealer).
	trust *trust.Service
	// sweeper fires deadline timers; areas register their handlers on it.
	sweeper *timers.Sweeper
	// m are the Prometheus figures of the last handler() built.
	m *metrics
	// obs are the business and background figures (observers.go).
	obs appObservers
}

func newApp(ctx context.Context, cfg *config, db *store.DB, log *slog.Logger) (*app, error) {
	msgs, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, db: db, log: log, msgs: msgs}
	// Each area wires its own service, in dependency order.
	for _, wire := range []func(context.Context, *app) error{wireOrg, wireAuth, wireWork, wireCases, wireParty, wireCivility, wireOrgLedgers, wireLists, wireCoord, wireService, wireCockpit, wireIntegration} {
		if err := wire(ctx, a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// setup loads the real divisions (and the demo data when asked) into an empty
// database and makes sure there is a first administrator.
func (a *app) setup(ctx context.Context, out io.Writer) error {
	if err := seedOrg(ctx, a, out); err != nil {
		return err
	}
	if err := seedLists(ctx, a, out); err != nil {
		return err
	}
	if err := seedService(ctx, a, out); err != nil {
		return err
	}
	if a.lists != nil { // category → department proposals need the departments just loaded
		if err := a.lists.SeedCategories(ctx); err != nil {
			return err
		}
	}
	if err := seedCases(ctx, a, out); err != nil {
		return err
	}
	if err := seedParty(ctx, a, out); err != nil {
		return err
	}
	if err := seedVolunteer(ctx, a, out); err != nil {
		return err
	}
	if err := seedCivility(ctx, a, out); err != nil {
		return err
	}
	if err := seedOrgLedgers(ctx, a, out); err != nil {
		return err
	}
	if err := ensureAdmin(ctx, a, out); err != nil {
		return err
	}
	return seedServiceRoles(ctx, a, out)
}

// startBackground runs the background jobs until ctx ends; the returned
// channel closes when they have all stopped.
func (a *app) startBackground(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, job := range slices.Concat(a.backgroundJobs(), a.auditChainJobs(), a.auditCheckpointJobs()) {
			wg.Add(1)
			go func() { defer wg.Done(); job(ctx) }()
		}
		wg.Wait()
	}()
	return done
}

// handler assembles the whole HTTP surface.
func (a *app) handler() (http.Handler, error) {
	// One set of services for the UI and the API: the same outbox, registry
	// and cockpit behind both.
	services := wiring.Services{DB: a.db, Log: a.log, Msgs: a.msgs, Org: a.org, Auth: a.auth, Work: a.work, Cases: a.cases, Lists: a.lists, Service: a.service,
		Webhooks: a.webhooks, Keys: a.keys, Province: a.province, Trust: a.trust, Party: a.party, Volunteer: a.volunteer, Civility: a.civility, Reports: a.reports,
		Dispatch: a.dispatch, Pairing: a.pairing, TaskForce: a.taskforce, Staffing: a.staffing, Cockpit: a.cockpit, TilesDir: a.cfg.TilesDir}
	services.Complete()
	w, err := web.New(services)
	if err != nil {
		return nil, err
	}
	apiSrv := api.New(services)
	m := a.newMetrics()
	a.m = m
	res := clientaddr.Resolver{Trusted: a.cfg.TrustedProxies}
	mux := http.NewServeMux()
	mux.Handle("/api/", apiSrv.Handler())
	mux.Handle("/open311/", a.open311Handler())
	mux.Handle("/", w.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.db.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "database unreachable:", err)
			return
		}
		applied, latest, err := a.db.MigrationStatus(ctx)
		if err != nil || applied != latest {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "migrations not current: %d of %d %v\n", applied, latest, err)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", a.metricsGate(res, m.handler()))
	// res.Middleware is outermost: it decides the client once, for the
	// rate limits, the login throttle, the cookies and the logs.
	return res.Middleware(requestIDs(res, accessLog(a.log, m.instrument(securityHeaders(newAdmission(a.cfg.maxWrites(), a.cfg.writeQueue(), m.reg).limit(guardInput(compress(a.readReplica(mux)), w, apiSrv, a.msgs))))))), nil
}

// metricsGate serves /metrics on the main listener only to a peer that is a
// loopback address or a trusted proxy, and, when the request was forwarded
// (X-Forwarded-For, X-Real-IP, Forwarded), only if the client the trusted
// proxies name is such an address too: headers can only refuse, never
// admit, so a local reverse proxy does not open /metrics to the internet.
// With --metrics-addr it is served there and not here.
func (a *app) metricsGate(res clientaddr.Resolver, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := clientaddr.FromRequest(r)
		ok := a.cfg.MetricsAddr == "" && res.IsLocal(info.Peer) &&
			(!info.Forwarded || (res.IsTrusted(info.Peer) && res.IsLocal(info.Addr)))
		if !ok {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof" // the PPROF_ADDR listener's handlers
	"os"
	"runtime/debug"
	"time"

	"concierge/internal/config"
	"concierge/internal/observability"
)

// Run serves and/or works until ctx ends, then shuts down gracefully: stop
// accepting, drain requests and jobs, then close the pools.
func (a *App) Run(ctx context.Context, ln net.Listener, out io.Writer) error {
	log := a.deps.log
	bg, stop := context.WithCancel(context.Background())
	a.stopBg = stop
	go a.deps.cache.Run(bg)
	go a.identity.Run(bg) // session revocations from every process
	if a.jobs.Working() {
		if err := a.jobs.Start(bg); err != nil {
			return err
		}
		log.Info("worker started", "queues", a.jobs.Queues())
	}
	if addr := a.deps.cfg.PprofAddr; addr != "" {
		go func() {
			// net/http/pprof registers on http.DefaultServeMux.
			if err := http.ListenAndServe(addr, nil); err != nil {
				log.Warn("pprof listener stopped", "error", err)
			}
		}()
	}
	errc := make(chan error, 2)
	if a.metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.metrics.HTTPHandler())
		a.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := a.metricsSrv.Serve(a.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics listener: %w", err)
			}
		}()
		log.Info("metrics listening", "addr", a.metricsLn.Addr().String())
	}
	if a.fiber != nil {
		go func() { errc <- a.fiber.Listener(ln) }()
		log.Info("gateway listening", "addr", ln.Addr().String(), "mode", a.mode.String())
		fmt.Fprintf(out, "concierge %s listening on http://%s\n", a.mode, ln.Addr())
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	a.Close(context.Background())
	return runErr
}

// Close drains and releases everything, bounded by SHUTDOWN_TIMEOUT.
func (a *App) Close(ctx context.Context) {
	timeout := 20 * time.Second
	if a.deps != nil {
		timeout = a.deps.cfg.ShutdownTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if a.sandbox != nil {
		a.sandbox.Close()
	}
	if a.admin != nil {
		a.admin.Close() // open inbox streams end, so the server can drain
	}
	if a.fiber != nil {
		_ = a.fiber.ShutdownWithContext(ctx)
	}
	if a.metricsSrv != nil {
		_ = a.metricsSrv.Shutdown(ctx)
	} else if a.metricsLn != nil {
		_ = a.metricsLn.Close()
	}
	if a.jobs != nil {
		if err := a.jobs.Stop(ctx); err != nil && a.deps != nil {
			a.deps.log.Warn("jobs did not drain", "error", err)
		}
	}
	if a.analytics != nil {
		if err := a.analytics.Close(ctx); err != nil && a.deps != nil {
			a.deps.log.Warn("analytics events not all written", "error", err)
		}
	}
	if a.stopBg != nil {
		a.stopBg()
	}
	if a.deps != nil {
		a.deps.Close()
	}
	if a.tracing != nil {
		_ = a.tracing(ctx)
	}
}

func serve(ctx context.Context, cfg config.Config, out io.Writer, m mode) error {
	// The live heap is small and request garbage is short-lived: collect less
	// often than Go's default (GOGC=100) to cut GC work and tail latency.
	// An explicit GOGC (or GOMEMLIMIT) in the environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// Access logs at thousands of lines a second: batch the writes.
	logw := observability.NewBufferedWriter(os.Stderr, 200*time.Millisecond)
	defer logw.Close()
	log := newLogger(cfg.LogLevel, logw)
	a, err := newApp(ctx, cfg, log, m)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		a.Close(ctx)
		return fmt.Errorf("listen on HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	if err := a.Run(ctx, ln, out); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

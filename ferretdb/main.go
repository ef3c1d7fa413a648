// Command ferretdb-launcher starts FerretDB on SQLite for the test suite, or on
// PostgreSQL when -postgresql-url is given.
//
// The upstream ferretdb binary built with `go install` panics at start because
// it expects a generated version file; embedding the library avoids that.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "address to listen on")
	dir := flag.String("dir", "", "directory for SQLite files (created if missing)")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL URL (postgres://user@host:port/db); when given, -dir is not used")
	flag.Parse()

	if *postgresqlURL != "" {
		run(*listen, &ferretdb.Config{
			Listener:      ferretdb.ListenerConfig{TCP: *listen},
			Handler:       "postgresql",
			PostgreSQLURL: *postgresqlURL,
		})
		return
	}

	if *dir == "" {
		fmt.Fprintln(os.Stderr, "-dir (or -postgresql-url) is required")
		os.Exit(2)
	}
	abs, err := filepath.Abs(*dir)
	if err == nil {
		err = os.MkdirAll(abs, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	run(*listen, &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
}

// run starts FerretDB with the given configuration and serves until SIGINT or SIGTERM.
func run(listen string, config *ferretdb.Config) {
	f, err := ferretdb.New(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go stopWithParent(stop)

	fmt.Println("ferretdb listening on", listen)
	f.Run(ctx)
}

// stopWithParent stops the server once the process that started it is gone, so that a
// test run killed with SIGKILL (or by a CI timeout) leaves no server behind.
func stopWithParent(stop func()) {
	parent := os.Getppid()
	for range time.Tick(time.Second) {
		if os.Getppid() != parent {
			stop()
			time.Sleep(10 * time.Second) // a wedged request may hold Run; do not wait for it
			os.Exit(1)
		}
	}
}

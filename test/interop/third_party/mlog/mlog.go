// Package mlog stands in for monis.app/mlog v0.0.4, which the Go module proxy reachable from this
// machine refuses to serve (403 "This module version is not available"; monis.app itself does not
// resolve). The driver's pkg/secrets-store imports it for one call, mlog.Fatal in server.go (the CSI
// gRPC server's start-up path, which the interop test never runs). The code under test, the driver's
// provider client (provider_client.go) and file writer (pkg/util/fileutil), does not use it.
//
// See ../../go.mod for the replace directive. Drop both once the real module can be downloaded.
package mlog

import (
	"fmt"
	"os"
)

// Fatal logs err and exits, like the real mlog.Fatal.
func Fatal(err error, keysAndValues ...any) {
	fmt.Fprintln(os.Stderr, append([]any{"fatal:", err}, keysAndValues...)...)
	os.Exit(1)
}

// Interop test: calls the TypeScript provider over its unix socket with the Secrets Store CSI driver's OWN
// client code (sigs.k8s.io/secrets-store-csi-driver/pkg/secrets-store), exactly as the driver's
// NodePublishVolume does, and checks what ends up in the target directory.
//
// This test starts no backends and no provider. test/interop.test.ts does: it brings up moto, the fault
// proxy, the Kubernetes API stub and the Pod Identity agent stubs, seeds the AWS data, starts the provider
// twice (provider-writes and --driver-writes-secrets), writes the cases file and runs `go test` here with:
//
//	INTEROP_CASES                   path of the cases JSON (see Case)
//	INTEROP_PROVIDER_WRITES_SOCKETS directory holding aws.sock of the provider-writes provider
//	INTEROP_DRIVER_WRITES_SOCKETS   directory holding aws.sock of the --driver-writes-secrets provider
//
// Run it through `node scripts/test.mjs test/interop.test.ts`; run alone it fails (nothing to talk to).
package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	internalerrors "sigs.k8s.io/secrets-store-csi-driver/pkg/errors"
	secretsstore "sigs.k8s.io/secrets-store-csi-driver/pkg/secrets-store"
	"sigs.k8s.io/secrets-store-csi-driver/pkg/util/fileutil"
	"sigs.k8s.io/secrets-store-csi-driver/provider/v1alpha1"
)

const (
	modeProviderWrites = "provider-writes"
	modeDriverWrites   = "driver-writes"
	// SecretProviderClass.spec.provider: the driver dials <dir>/aws.sock.
	providerName = "aws"
	// kubelet's NodePublishVolume deadline is about 2 minutes; the driver adds none of its own.
	mountTimeout = 2 * time.Minute
)

// ExpectedFile is one file the pod must see.
type ExpectedFile struct {
	// Base64 of the exact bytes.
	Contents string `json:"contents"`
	// Permission bits, e.g. 420 (0644).
	Mode uint32 `json:"mode"`
}

// Case is one Mount, as written by test/interop.test.ts.
type Case struct {
	Name string `json:"name"`
	// "provider-writes" or "driver-writes": which provider (socket directory) to call.
	Mode string `json:"mode"`
	// The volume context + SecretProviderClass parameters + serviceAccount.tokens, as a JSON object of strings.
	Attributes string `json:"attributes"`
	// nodePublishSecretRef data as the driver marshals it: "null" (no secret ref) or "{}".
	Secrets string `json:"secrets"`
	// The driver's default file mode, json.Marshal(os.FileMode(0644)) = "420".
	Permission string `json:"permission"`
	// Absolute; must not exist yet (created here with 0750, as the driver does).
	TargetPath string `json:"targetPath"`
	// Relative path -> file. Exactly these files must be mounted (nil for an error case).
	ExpectFiles map[string]ExpectedFile `json:"expectFiles,omitempty"`
	// When set, the mount must fail and the error the driver gets must contain every one of these.
	ExpectError []string `json:"expectError,omitempty"`
}

type casesFile struct {
	Cases []Case `json:"cases"`
}

// mountCapture records, per target path, what the provider's Mount RPC answered and what the target
// directory held at the moment the RPC returned (before MountContent hands files to the driver's writer).
type mountCapture struct {
	mu    sync.Mutex
	calls map[string]*capturedMount
}

type capturedMount struct {
	response *v1alpha1.MountResponse
	err      error
	// Entries (recursively, relative) in the target directory right after the RPC returned.
	entriesAfterRPC []string
	calls           int
}

func (c *mountCapture) interceptor() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		mountReq, ok := req.(*v1alpha1.MountRequest)
		if !ok {
			return err
		}
		rec := &capturedMount{err: err}
		if resp, ok := reply.(*v1alpha1.MountResponse); ok && err == nil {
			rec.response = resp
		}
		rec.entriesAfterRPC, _ = listTree(mountReq.GetTargetPath())
		c.mu.Lock()
		if prev, ok := c.calls[mountReq.GetTargetPath()]; ok {
			rec.calls = prev.calls
		}
		rec.calls++
		c.calls[mountReq.GetTargetPath()] = rec
		c.mu.Unlock()
		return err
	}
}

func (c *mountCapture) get(targetPath string) *capturedMount {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[targetPath]
}

func TestInterop(t *testing.T) {
	casesPath := os.Getenv("INTEROP_CASES")
	socketDirs := map[string]string{
		modeProviderWrites: os.Getenv("INTEROP_PROVIDER_WRITES_SOCKETS"),
		modeDriverWrites:   os.Getenv("INTEROP_DRIVER_WRITES_SOCKETS"),
	}
	if casesPath == "" || socketDirs[modeProviderWrites] == "" || socketDirs[modeDriverWrites] == "" {
		t.Fatal("INTEROP_CASES, INTEROP_PROVIDER_WRITES_SOCKETS and INTEROP_DRIVER_WRITES_SOCKETS must be set: " +
			"run this through `node scripts/test.mjs test/interop.test.ts`, which starts the backends and the providers")
	}
	raw, err := os.ReadFile(casesPath)
	if err != nil {
		t.Fatalf("reading cases: %v", err)
	}
	var cf casesFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cf); err != nil {
		t.Fatalf("parsing %s: %v", casesPath, err)
	}
	if len(cf.Cases) == 0 {
		t.Fatalf("%s holds no cases", casesPath)
	}

	// One plugin client builder per provider, as the driver keeps one for its provider directory. The
	// interceptor only observes; the dial options the driver adds itself (authority "localhost", insecure
	// transport credentials, the retry/waitForReady service config) are all still applied by the builder.
	captures := map[string]*mountCapture{}
	clients := map[string]v1alpha1.CSIDriverProviderClient{}
	for mode, dir := range socketDirs {
		capture := &mountCapture{calls: map[string]*capturedMount{}}
		builder := secretsstore.NewPluginClientBuilder([]string{dir}, grpc.WithUnaryInterceptor(capture.interceptor()))
		t.Cleanup(builder.Cleanup)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		client, err := builder.Get(ctx, providerName)
		cancel()
		if err != nil {
			t.Fatalf("%s: PluginClientBuilder.Get(%q) in %s: %v", mode, providerName, dir, err)
		}
		// The health check the driver runs with --provider-health-check.
		ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
		runtimeVersion, err := secretsstore.Version(ctx, client)
		cancel()
		if err != nil {
			t.Fatalf("%s: Version: %v", mode, err)
		}
		t.Logf("%s provider at %s: runtime version %s", mode, filepath.Join(dir, providerName+".sock"), runtimeVersion)
		captures[mode] = capture
		clients[mode] = client
	}

	for _, c := range cf.Cases {
		t.Run(c.Name, func(t *testing.T) {
			client, ok := clients[c.Mode]
			if !ok {
				t.Fatalf("unknown mode %q", c.Mode)
			}
			runCase(t, c, client, captures[c.Mode])
		})
	}
}

func runCase(t *testing.T, c Case, client v1alpha1.CSIDriverProviderClient, capture *mountCapture) {
	if !filepath.IsAbs(c.TargetPath) {
		t.Fatalf("targetPath %q is not absolute", c.TargetPath)
	}
	if _, err := os.Lstat(c.TargetPath); !os.IsNotExist(err) {
		t.Fatalf("targetPath %s already exists (err=%v)", c.TargetPath, err)
	}
	// NodePublishVolume: kubelet no longer creates the target directory; the driver does, then mounts a
	// tmpfs on it (not done here: no privileges needed for the contract under test).
	if err := os.MkdirAll(c.TargetPath, 0750); err != nil {
		t.Fatal(err)
	}

	attributes := driverEncodedAttributes(t, c.Attributes)

	ctx, cancel := context.WithTimeout(context.Background(), mountTimeout)
	defer cancel()
	started := time.Now()
	// The driver's own call (nodeserver.go mountSecretsStoreObjectContent): nil old object versions in v1.6.
	// In driver-writes mode MountContent itself writes the returned files with fileutil.WritePayloads.
	objectVersions, errorCode, mountErr := secretsstore.MountContent(ctx, client, attributes, c.Secrets, c.TargetPath, c.Permission, nil)
	elapsed := time.Since(started)

	rec := capture.get(c.TargetPath)
	if rec == nil {
		t.Fatalf("the Mount RPC was never made (MountContent returned code %q, err %v)", errorCode, mountErr)
	}
	if rec.calls != 1 {
		t.Errorf("the Mount RPC was made %d times; the driver's retry policy retries only UNAVAILABLE", rec.calls)
	}

	if len(c.ExpectError) > 0 {
		checkError(t, c, errorCode, mountErr, rec)
		return
	}

	if mountErr != nil {
		t.Fatalf("MountContent failed after %v: code %q: %v\n(what kubelet would show: %s)", elapsed.Round(time.Millisecond), errorCode, mountErr, kubeletMessage(c, mountErr))
	}
	if errorCode != "" {
		t.Errorf("MountContent returned error code %q with a nil error", errorCode)
	}
	t.Logf("mounted in %v; object versions %v", elapsed.Round(time.Millisecond), objectVersions)

	resp := rec.response
	if resp == nil {
		t.Fatal("no MountResponse captured")
	}
	checkObjectVersions(t, resp, objectVersions)

	switch c.Mode {
	case modeProviderWrites:
		if n := len(resp.GetFiles()); n != 0 {
			t.Errorf("provider-writes mode: the response carries %d files; it must carry none (the provider writes them)", n)
		}
	case modeDriverWrites:
		checkReturnedFiles(t, c, resp)
		// The provider must not have touched the target directory: when the RPC returned, before the
		// driver's writer ran, it was still empty.
		if len(rec.entriesAfterRPC) != 0 {
			t.Errorf("driver-writes mode: the provider wrote into the target directory itself: %v", rec.entriesAfterRPC)
		}
	}

	checkTargetDir(t, c)
}

// driverEncodedAttributes re-encodes the attributes exactly as NodePublishVolume does: a map[string]string
// passed to json.Marshal (sorted keys, HTML-safe escaping). Decoding first also proves the TypeScript side
// produced what the driver can produce: a flat JSON object of strings.
func driverEncodedAttributes(t *testing.T, attributes string) string {
	t.Helper()
	var parameters map[string]string
	if err := json.Unmarshal([]byte(attributes), &parameters); err != nil {
		t.Fatalf("attributes are not a JSON object of strings (the driver only sends those): %v", err)
	}
	for _, key := range []string{
		"csi.storage.k8s.io/pod.name",
		"csi.storage.k8s.io/pod.namespace",
		"csi.storage.k8s.io/pod.uid",
		"csi.storage.k8s.io/serviceAccount.name",
		"csi.storage.k8s.io/serviceAccount.tokens",
		"secretProviderClass",
		"objects",
	} {
		if _, ok := parameters[key]; !ok {
			t.Fatalf("attributes lack %q, which the driver always sends here", key)
		}
	}
	var tokens map[string]struct {
		Token               string `json:"token"`
		ExpirationTimestamp string `json:"expirationTimestamp"`
	}
	if err := json.Unmarshal([]byte(parameters["csi.storage.k8s.io/serviceAccount.tokens"]), &tokens); err != nil {
		t.Fatalf("serviceAccount.tokens is not kubelet's {audience: {token, expirationTimestamp}} JSON: %v", err)
	}
	for audience, tok := range tokens {
		if tok.Token == "" {
			t.Fatalf("empty token for audience %s", audience)
		}
		if _, err := time.Parse(time.RFC3339, tok.ExpirationTimestamp); err != nil {
			t.Fatalf("token for %s: expirationTimestamp %q is not RFC 3339", audience, tok.ExpirationTimestamp)
		}
	}
	out, err := json.Marshal(parameters)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func checkError(t *testing.T, c Case, errorCode string, mountErr error, rec *capturedMount) {
	if mountErr == nil {
		t.Fatalf("the mount succeeded; expected an error containing %q", c.ExpectError)
	}
	t.Logf("error code %q, gRPC status %s; kubelet would show: %s", errorCode, status.Code(mountErr), kubeletMessage(c, mountErr))
	// A gRPC status error carries the provider's message to the pod's events; a response error code would
	// only give the user "mount request failed with provider error code ...".
	if errorCode != internalerrors.GRPCProviderError {
		t.Errorf("error code %q, want %q (a gRPC error from the provider)", errorCode, internalerrors.GRPCProviderError)
	}
	st, ok := status.FromError(mountErr)
	if !ok {
		t.Fatalf("not a gRPC status error: %v", mountErr)
	}
	switch st.Code() {
	case codes.Unavailable:
		t.Errorf("status UNAVAILABLE makes the driver retry a permanent error: %v", mountErr)
	case codes.OK, codes.Unknown:
		t.Errorf("status %s: the provider should classify its error", st.Code())
	}
	for _, want := range c.ExpectError {
		if !strings.Contains(mountErr.Error(), want) {
			t.Errorf("the error the driver gets does not contain %q:\n%v", want, mountErr)
		}
	}
	if rec.response != nil && len(rec.response.GetFiles()) > 0 {
		t.Errorf("error case returned files")
	}
	entries, err := listTree(c.TargetPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("a failed mount left files in the target directory: %v", entries)
	}
}

// kubeletMessage is the text NodePublishVolume wraps a mount error in (shown in the pod's events).
func kubeletMessage(c Case, err error) string {
	var attrs map[string]string
	_ = json.Unmarshal([]byte(c.Attributes), &attrs)
	return fmt.Sprintf("failed to mount secrets store objects for pod %s/%s, err: %v",
		attrs["csi.storage.k8s.io/pod.namespace"], attrs["csi.storage.k8s.io/pod.name"], err)
}

func checkObjectVersions(t *testing.T, resp *v1alpha1.MountResponse, fromClient map[string]string) {
	ov := resp.GetObjectVersion()
	if len(ov) == 0 {
		t.Errorf("no object versions (the driver fails such a mount with %q)", "missing object versions")
	}
	seen := map[string]bool{}
	for _, v := range ov {
		if v.GetId() == "" || v.GetVersion() == "" {
			t.Errorf("object version with an empty id or version: %+v", v)
		}
		if seen[v.GetId()] {
			t.Errorf("duplicate object version id %q (the driver keys them in a map)", v.GetId())
		}
		seen[v.GetId()] = true
	}
	if len(fromClient) != len(ov) {
		t.Errorf("MountContent returned %d object versions, the response held %d", len(fromClient), len(ov))
	}
	if resp.GetError() != nil && resp.GetError().GetCode() != "" {
		t.Errorf("successful mount carries error code %q", resp.GetError().GetCode())
	}
}

// checkReturnedFiles checks the files of a driver-writes response against the driver's own validation and
// the expectation (MountContent already wrote them; this makes a rejection impossible to miss and names it).
func checkReturnedFiles(t *testing.T, c Case, resp *v1alpha1.MountResponse) {
	files := resp.GetFiles()
	if len(files) == 0 {
		t.Fatal("driver-writes mode: the response carries no files (the driver would assume the provider wrote them)")
	}
	if err := fileutil.Validate(files); err != nil {
		t.Errorf("the driver's fileutil.Validate rejects the returned files: %v", err)
	}
	got := map[string]bool{}
	for _, f := range files {
		if got[f.GetPath()] {
			t.Errorf("file %q returned twice", f.GetPath())
		}
		got[f.GetPath()] = true
		if f.GetMode() < 0 || f.GetMode() > 0o777 {
			t.Errorf("file %q: mode %#o is not plain permission bits", f.GetPath(), f.GetMode())
		}
		want, ok := c.ExpectFiles[f.GetPath()]
		if !ok {
			t.Errorf("unexpected returned file %q", f.GetPath())
			continue
		}
		if uint32(f.GetMode()) != want.Mode {
			t.Errorf("returned file %q: mode %#o, want %#o", f.GetPath(), f.GetMode(), want.Mode)
		}
		if !bytes.Equal(f.GetContents(), mustDecode(t, want.Contents)) {
			t.Errorf("returned file %q: contents %q, want %q", f.GetPath(), f.GetContents(), mustDecode(t, want.Contents))
		}
	}
	for path := range c.ExpectFiles {
		if !got[path] {
			t.Errorf("expected file %q not returned", path)
		}
	}
}

// checkTargetDir checks what a pod would see: exactly the expected files, with their bytes and mode bits,
// and (driver-writes) the driver's atomic-writer layout, or (provider-writes) plain files and nothing else.
func checkTargetDir(t *testing.T, c Case) {

	// What the driver itself reads back for secret sync (spec.secretObjects): keyed by relative path.
	mounted, err := fileutil.GetMountedFiles(c.TargetPath)
	if err != nil {
		t.Fatalf("fileutil.GetMountedFiles: %v", err)
	}
	var gotPaths, wantPaths []string
	for p := range mounted {
		gotPaths = append(gotPaths, p)
	}
	for p := range c.ExpectFiles {
		wantPaths = append(wantPaths, p)
	}
	sort.Strings(gotPaths)
	sort.Strings(wantPaths)
	if strings.Join(gotPaths, "\n") != strings.Join(wantPaths, "\n") {
		t.Errorf("files the driver sees in the target directory: %q, want %q", gotPaths, wantPaths)
	}

	for path, want := range c.ExpectFiles {
		full := filepath.Join(c.TargetPath, path)
		info, err := os.Stat(full) // follows the atomic writer's symlinks, as the pod's open() does
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if !info.Mode().IsRegular() {
			t.Errorf("%s: not a regular file (%s)", path, info.Mode())
		}
		if got := uint32(info.Mode().Perm() | info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); got != want.Mode {
			t.Errorf("%s: mode %#o, want %#o", path, got, want.Mode)
		}
		data, err := os.ReadFile(full)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if !bytes.Equal(data, mustDecode(t, want.Contents)) {
			t.Errorf("%s: contents %q, want %q", path, data, mustDecode(t, want.Contents))
		}
	}

	entries, err := os.ReadDir(c.TargetPath)
	if err != nil {
		t.Fatal(err)
	}
	switch c.Mode {
	case modeDriverWrites:
		// The driver's AtomicWriter: a ..data symlink to a timestamped dir, one symlink per top-level name.
		if info, err := os.Lstat(filepath.Join(c.TargetPath, "..data")); err != nil || info.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("no ..data symlink: the driver's atomic writer did not write this directory (err=%v)", err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "..") {
				continue
			}
			if e.Type()&fs.ModeSymlink == 0 {
				t.Errorf("%s is not an atomic-writer symlink (%s)", e.Name(), e.Type())
			}
		}
	case modeProviderWrites:
		// Plain files written by the provider; no leftovers (temp files, atomic-writer dirs).
		all, err := listTree(c.TargetPath)
		if err != nil {
			t.Fatal(err)
		}
		var extra []string
		for _, p := range all {
			info, err := os.Lstat(filepath.Join(c.TargetPath, p))
			if err != nil {
				t.Fatal(err)
			}
			if info.IsDir() {
				continue
			}
			if _, ok := c.ExpectFiles[p]; !ok {
				extra = append(extra, p)
			}
			if info.Mode()&fs.ModeSymlink != 0 {
				t.Errorf("%s is a symlink; the provider writes plain files", p)
			}
		}
		if len(extra) > 0 {
			t.Errorf("unexpected files in the target directory: %q", extra)
		}
	}
}

// listTree lists every entry under dir (relative paths, hidden ones included), without following symlinks.
func listTree(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out, err
}

func mustDecode(t *testing.T, b64 string) []byte {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("bad base64 in cases: %v", err)
	}
	return data
}

// Command krew packages the cross-built kubectl-gdpr binaries as krew expects them, writes
// SHA256SUMS, renders the krew manifest, and verifies a rendered manifest against the
// archives. hack/dist.sh (`make dist`) runs it:
//
//	go run ./hack/krew package -dist dist -version v0.3.0 -base-url URL -template hack/krew/gdpr.yaml.tmpl
//	go run ./hack/krew verify  -dist dist -version v0.3.0 -base-url URL
//
// package reads the binaries from DIST/bin/OS_ARCH/ and writes DIST/kubectl-gdpr_VERSION_OS_ARCH.tar.gz
// (.zip for windows), DIST/SHA256SUMS and DIST/gdpr.yaml.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// defaultPlatforms are the platforms `make dist` builds.
const defaultPlatforms = "linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"

// options are the command's flags.
type options struct {
	dist, version, baseURL, template, license, platforms string
	epoch                                                int64
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "package" && os.Args[1] != "verify") {
		fmt.Fprintln(os.Stderr, "usage: krew package|verify [flags]")
		os.Exit(2)
	}
	mode := os.Args[1]
	var o options
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	fs.StringVar(&o.dist, "dist", "dist", "the dist directory: binaries in bin/OS_ARCH/, archives, SHA256SUMS, gdpr.yaml")
	fs.StringVar(&o.version, "version", "", "the plugin version (semantic version with a leading v)")
	fs.StringVar(&o.baseURL, "base-url", "", "the URL the archives are downloaded from (https)")
	fs.StringVar(&o.template, "template", "hack/krew/gdpr.yaml.tmpl", "the manifest template")
	fs.StringVar(&o.license, "license", "", "a license file to put in every archive (none when empty)")
	fs.StringVar(&o.platforms, "platforms", defaultPlatforms, "the OS/ARCH pairs, separated by spaces")
	fs.Int64Var(&o.epoch, "epoch", 0, "the modification time of the archive entries, in seconds since 1970 (SOURCE_DATE_EPOCH)")
	_ = fs.Parse(os.Args[2:])

	var err error
	if mode == "package" {
		err = packageDist(o)
	} else {
		err = verifyDist(o.dist, o.version, o.baseURL, o.platformList())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "krew "+mode+":", err)
		os.Exit(1)
	}
}

func (o options) platformList() []platformID {
	var out []platformID
	for _, p := range strings.Fields(o.platforms) {
		osName, arch, _ := strings.Cut(p, "/")
		out = append(out, platformID{OS: osName, Arch: arch})
	}
	return out
}

// mtime is the modification time of every archive entry.
func (o options) mtime() time.Time { return time.Unix(o.epoch, 0).UTC() }

// packageDist archives each platform's binary, writes SHA256SUMS and renders the manifest.
func packageDist(o options) error {
	if err := checkVersion(o.version); err != nil {
		return err
	}
	if err := checkBaseURL(o.baseURL); err != nil {
		return err
	}
	mtime := o.mtime()
	var platforms []manifestPlatform
	for _, id := range o.platformList() {
		p, err := packagePlatform(o.dist, o.version, o.baseURL, o.license, id, mtime)
		if err != nil {
			return fmt.Errorf("while packaging %s: %w", id, err)
		}
		platforms = append(platforms, p)
	}
	if err := writeChecksums(o.dist, platforms); err != nil {
		return err
	}
	return renderManifest(o.template, manifestPath(o.dist), o.version, platforms)
}

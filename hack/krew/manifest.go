package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// pluginName is the binary's name; krew installs it as `kubectl gdpr`.
const pluginName = "kubectl-gdpr"

// platformID is one OS and architecture, as Go and krew name them.
type platformID struct{ OS, Arch string }

func (p platformID) String() string { return p.OS + "/" + p.Arch }

// bin is the binary's name on the platform.
func (p platformID) bin() string {
	if p.OS == "windows" {
		return pluginName + ".exe"
	}
	return pluginName
}

// archiveName is the archive of the platform: a .zip for windows, a .tar.gz elsewhere.
func archiveName(version string, p platformID) string {
	ext := ".tar.gz"
	if p.OS == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("%s_%s_%s_%s%s", pluginName, version, p.OS, p.Arch, ext)
}

// manifestPath is where the rendered manifest goes.
func manifestPath(dist string) string { return filepath.Join(dist, "gdpr.yaml") }

// manifestPlatform is one platform entry of the manifest.
type manifestPlatform struct {
	platformID
	URI, SHA256, Bin string
	Archive          string   // the archive's file name in the dist directory
	Files            []string // the archive's files, copied to the plugin's directory
}

// packagePlatform archives the platform's binary (and the license) from DIST/bin/OS_ARCH/.
func packagePlatform(dist, version, baseURL, license string, id platformID, mtime time.Time) (manifestPlatform, error) {
	entries := []archiveEntry{{name: id.bin(), path: filepath.Join(dist, "bin", id.OS+"_"+id.Arch, id.bin()), mode: 0o755}}
	if license != "" {
		entries = append(entries, archiveEntry{name: filepath.Base(license), path: license, mode: 0o644})
	}
	p := manifestPlatform{platformID: id, Bin: id.bin(), Archive: archiveName(version, id)}
	for _, e := range entries {
		p.Files = append(p.Files, e.name)
	}
	path := filepath.Join(dist, p.Archive)
	if err := writeArchive(path, entries, mtime); err != nil {
		return p, err
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return p, err
	}
	p.SHA256 = sum
	p.URI = strings.TrimSuffix(baseURL, "/") + "/" + p.Archive
	return p, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := f.WriteTo(h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeChecksums writes DIST/SHA256SUMS in the format of sha256sum, so that
// `sha256sum -c SHA256SUMS` checks downloaded archives.
func writeChecksums(dist string, platforms []manifestPlatform) error {
	var b bytes.Buffer
	for _, p := range platforms {
		fmt.Fprintf(&b, "%s  %s\n", p.SHA256, p.Archive)
	}
	return os.WriteFile(filepath.Join(dist, "SHA256SUMS"), b.Bytes(), 0o644)
}

// renderManifest renders the manifest template with the version and the platforms.
func renderManifest(templatePath, out, version string, platforms []manifestPlatform) error {
	tmpl, err := template.New(filepath.Base(templatePath)).Option("missingkey=error").ParseFiles(templatePath)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, struct {
		Version   string
		Platforms []manifestPlatform
	}{version, platforms}); err != nil {
		return fmt.Errorf("while rendering %s: %w", templatePath, err)
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}

// semver is krew's version format: a semantic version with a leading v.
var semver = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

func checkVersion(v string) error {
	if !semver.MatchString(v) {
		return fmt.Errorf("version %q is not a semantic version with a leading v (v1.2.3), as krew requires", v)
	}
	return nil
}

func checkBaseURL(base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("base URL %q is not an https URL", base)
	}
	return nil
}

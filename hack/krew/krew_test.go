package main

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

const (
	testVersion = "v1.2.3"
	testBaseURL = "https://example.test/releases/v1.2.3"
)

var allPlatforms = options{platforms: defaultPlatforms}.platformList()

// fakeBinary is the smallest executable header binaryPlatform reads as built for id,
// followed by filler: the tests package and inspect archives without cross-compiling.
func fakeBinary(t *testing.T, id platformID) []byte {
	t.Helper()
	le := binary.LittleEndian
	var b []byte
	switch id.OS {
	case "linux":
		b = make([]byte, 64)
		copy(b, elf.ELFMAG)
		b[elf.EI_CLASS], b[elf.EI_DATA], b[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
		machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[id.Arch]
		le.PutUint16(b[18:], uint16(machine))
	case "darwin":
		b = make([]byte, 32)
		le.PutUint32(b, macho.Magic64)
		cpu := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[id.Arch]
		le.PutUint32(b[4:], uint32(cpu))
	case "windows":
		b = make([]byte, 0x80+24)
		copy(b, "MZ")
		le.PutUint32(b[0x3c:], 0x80)
		copy(b[0x80:], "PE\x00\x00")
		machine := map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}[id.Arch]
		le.PutUint16(b[0x84:], machine)
	default:
		t.Fatalf("no fake binary for %s", id)
	}
	return append(b, bytes.Repeat([]byte(id.String()), 2000)...)
}

// fakeDist writes the binaries of a build into a new dist directory, with a LICENSE file,
// and packages them.
func fakeDist(t *testing.T) (dist string) {
	t.Helper()
	dist = t.TempDir()
	for _, id := range allPlatforms {
		dir := filepath.Join(dist, "bin", id.OS+"_"+id.Arch)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id.bin()), fakeBinary(t, id), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	license := filepath.Join(t.TempDir(), "LICENSE")
	if err := os.WriteFile(license, []byte("license text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := options{dist: dist, version: testVersion, baseURL: testBaseURL, template: "gdpr.yaml.tmpl",
		license: license, platforms: defaultPlatforms, epoch: 1767225600}
	if err := packageDist(o); err != nil {
		t.Fatalf("packaging: %v", err)
	}
	return dist
}

func TestBinaryPlatform(t *testing.T) {
	for _, id := range allPlatforms {
		got, err := binaryPlatform(fakeBinary(t, id)[:headSize])
		if err != nil || got != id {
			t.Errorf("binaryPlatform(fake %s) = %s, %v", id, got, err)
		}
	}
	if _, err := binaryPlatform([]byte("#!/bin/sh\necho kubectl-gdpr\n")); err == nil {
		t.Error("a shell script passed for an executable")
	}
}

func TestPackagedDistVerifies(t *testing.T) {
	dist := fakeDist(t)
	if err := verifyDist(dist, testVersion, testBaseURL, allPlatforms); err != nil {
		t.Fatalf("verify of a fresh dist: %v", err)
	}

	// The rendered manifest, read back: every platform once, in order, its archive and binary.
	data, err := os.ReadFile(manifestPath(dist))
	if err != nil {
		t.Fatal(err)
	}
	var m krewManifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	type entry struct{ OS, Arch, URI, Bin, Files string }
	var got []entry
	for _, p := range m.Spec.Platforms {
		var files []string
		for _, f := range p.Files {
			files = append(files, f.From+"→"+f.To)
		}
		got = append(got, entry{p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"], p.URI, p.Bin, strings.Join(files, " ")})
	}
	want := []entry{
		{"linux", "amd64", testBaseURL + "/kubectl-gdpr_v1.2.3_linux_amd64.tar.gz", "kubectl-gdpr", "kubectl-gdpr→. LICENSE→."},
		{"linux", "arm64", testBaseURL + "/kubectl-gdpr_v1.2.3_linux_arm64.tar.gz", "kubectl-gdpr", "kubectl-gdpr→. LICENSE→."},
		{"darwin", "amd64", testBaseURL + "/kubectl-gdpr_v1.2.3_darwin_amd64.tar.gz", "kubectl-gdpr", "kubectl-gdpr→. LICENSE→."},
		{"darwin", "arm64", testBaseURL + "/kubectl-gdpr_v1.2.3_darwin_arm64.tar.gz", "kubectl-gdpr", "kubectl-gdpr→. LICENSE→."},
		{"windows", "amd64", testBaseURL + "/kubectl-gdpr_v1.2.3_windows_amd64.zip", "kubectl-gdpr.exe", "kubectl-gdpr.exe→. LICENSE→."},
		{"windows", "arm64", testBaseURL + "/kubectl-gdpr_v1.2.3_windows_arm64.zip", "kubectl-gdpr.exe", "kubectl-gdpr.exe→. LICENSE→."},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("manifest platforms (-want +got):\n%s", diff)
	}
	if m.Spec.Version != testVersion || m.Metadata.Name != "gdpr" {
		t.Errorf("manifest version %q, name %q", m.Spec.Version, m.Metadata.Name)
	}
}

// TestPackagingIsReproducible packages the same binaries twice: same archives, same sums.
func TestPackagingIsReproducible(t *testing.T) {
	sums := func(dist string) string {
		b, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	first, second := sums(fakeDist(t)), sums(fakeDist(t))
	if first != second {
		t.Errorf("two packagings of the same binaries differ:\n%s\n%s", first, second)
	}
	if n := strings.Count(first, "\n"); n != len(allPlatforms) {
		t.Errorf("SHA256SUMS has %d lines:\n%s", n, first)
	}
}

// TestVerifyRefuses spoils a fresh dist in one way each and expects verifyDist to say so.
func TestVerifyRefuses(t *testing.T) {
	archive := func(dist string, id platformID) string { return filepath.Join(dist, archiveName(testVersion, id)) }
	linuxARM := platformID{OS: "linux", Arch: "arm64"}
	windowsARM := platformID{OS: "windows", Arch: "arm64"}
	tests := []struct {
		name    string
		spoil   func(t *testing.T, dist string)
		version string
		wantErr string
	}{
		{"an archive changed after the manifest", func(t *testing.T, dist string) {
			appendTo(t, archive(dist, linuxARM), "x")
		}, testVersion, " in the manifest, "},
		{"a platform missing", func(t *testing.T, dist string) {
			editManifest(t, dist, func(s string) string {
				i := strings.Index(s, "        os: windows\n        arch: arm64")
				return s[:strings.LastIndex(s[:i], "  - selector:")]
			})
		}, testVersion, "windows/arm64: 0 platform entries select it, want 1"},
		{"a platform twice", func(t *testing.T, dist string) {
			editManifest(t, dist, func(s string) string {
				return strings.Replace(s, "arch: arm64\n    uri: "+testBaseURL+"/kubectl-gdpr_v1.2.3_darwin", "arch: amd64\n    uri: "+testBaseURL+"/kubectl-gdpr_v1.2.3_darwin", 1)
			})
		}, testVersion, "darwin/amd64: 2 platform entries select it, want 1"},
		{"a wrong bin", func(t *testing.T, dist string) {
			editManifest(t, dist, func(s string) string { return strings.ReplaceAll(s, "bin: kubectl-gdpr.exe", "bin: kubectl-gdpr") })
		}, testVersion, `windows/amd64: bin is "kubectl-gdpr", want "kubectl-gdpr.exe"`},
		{"the binary of another architecture", func(t *testing.T, dist string) {
			if err := os.WriteFile(filepath.Join(dist, "bin", "linux_arm64", "kubectl-gdpr"), fakeBinary(t, platformID{"linux", "amd64"}), 0o755); err != nil {
				t.Fatal(err)
			}
			repackage(t, dist)
		}, testVersion, "linux/arm64: bin kubectl-gdpr is built for linux/amd64"},
		{"an archive without the binary", func(t *testing.T, dist string) {
			// Rewrite the archive with the license only, and its sums, as a broken packaging would.
			license := filepath.Join(t.TempDir(), "LICENSE")
			if err := os.WriteFile(license, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := writeArchive(archive(dist, windowsARM), []archiveEntry{{name: "LICENSE", path: license, mode: 0o644}}, testEpoch); err != nil {
				t.Fatal(err)
			}
			fixSums(t, dist, windowsARM)
		}, testVersion, "windows/arm64: files: kubectl-gdpr.exe → ., but the archive holds [LICENSE]"},
		{"a stale line in SHA256SUMS", func(t *testing.T, dist string) {
			appendTo(t, filepath.Join(dist, "SHA256SUMS"), strings.Repeat("0", 64)+"  kubectl-gdpr_v1.2.2_linux_amd64.tar.gz\n")
		}, testVersion, "SHA256SUMS lists kubectl-gdpr_v1.2.2_linux_amd64.tar.gz, which no platform of the manifest downloads"},
		{"SHA256SUMS disagrees", func(t *testing.T, dist string) {
			editFile(t, filepath.Join(dist, "SHA256SUMS"), func(s string) string { return strings.Repeat("0", 64) + s[64:] })
		}, testVersion, `linux/amd64: sha256 "0000`},
		{"a URI elsewhere", func(t *testing.T, dist string) {
			editManifest(t, dist, func(s string) string {
				return strings.Replace(s, testBaseURL+"/kubectl-gdpr_v1.2.3_darwin_arm64", "https://elsewhere.test/kubectl-gdpr_v1.2.3_darwin_arm64", 1)
			})
		}, testVersion, "darwin/arm64: uri https://elsewhere.test/kubectl-gdpr_v1.2.3_darwin_arm64.tar.gz is not under " + testBaseURL},
		{"another version", func(*testing.T, string) {}, "v1.2.4", `spec.version is "v1.2.3", want "v1.2.4"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dist := fakeDist(t)
			tt.spoil(t, dist)
			err := verifyDist(dist, tt.version, testBaseURL, allPlatforms)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("verify: %v\nwant an error with %q", err, tt.wantErr)
			}
		})
	}
}

func TestPackageRefusesABadVersionOrURL(t *testing.T) {
	for _, o := range []options{
		{version: "1.2.3", baseURL: testBaseURL},
		{version: "v0.0.0-9cf1562", baseURL: "http://example.test"},
	} {
		o.dist, o.platforms = t.TempDir(), defaultPlatforms
		if err := packageDist(o); err == nil {
			t.Errorf("packageDist(%+v) succeeded", o)
		}
	}
	if err := checkVersion("v0.0.0-9cf1562"); err != nil {
		t.Errorf("the Makefile's default version is refused: %v", err)
	}
}

var testEpoch = options{epoch: 1767225600}.mtime()

func appendTo(t *testing.T, file, s string) {
	t.Helper()
	editFile(t, file, func(old string) string { return old + s })
}

func editManifest(t *testing.T, dist string, edit func(string) string) {
	t.Helper()
	editFile(t, manifestPath(dist), edit)
}

func editFile(t *testing.T, file string, edit func(string) string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// repackage packages dist's binaries again, without a license.
func repackage(t *testing.T, dist string) {
	t.Helper()
	if err := packageDist(options{dist: dist, version: testVersion, baseURL: testBaseURL, template: "gdpr.yaml.tmpl", platforms: defaultPlatforms}); err != nil {
		t.Fatal(err)
	}
}

// fixSums rewrites the SHA256SUMS line and the manifest's sha256 of id's archive.
func fixSums(t *testing.T, dist string, id platformID) {
	t.Helper()
	name := archiveName(testVersion, id)
	sum, err := fileSHA256(filepath.Join(dist, name))
	if err != nil {
		t.Fatal(err)
	}
	old, err := readChecksums(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	editFile(t, filepath.Join(dist, "SHA256SUMS"), func(s string) string { return strings.Replace(s, old[name], sum, 1) })
	editManifest(t, dist, func(s string) string { return strings.Replace(s, "sha256: "+old[name], "sha256: "+sum, 1) })
}

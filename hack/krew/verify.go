package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// krewManifest is the part of a krew Plugin manifest that verifyDist checks.
type krewManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string         `json:"version"`
		Homepage         string         `json:"homepage"`
		ShortDescription string         `json:"shortDescription"`
		Platforms        []krewPlatform `json:"platforms"`
	} `json:"spec"`
}

type krewPlatform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string `json:"uri"`
	SHA256 string `json:"sha256"`
	Files  []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"files"`
	Bin string `json:"bin"`
}

// verifyDist checks the rendered manifest of dist against the archives beside it: the
// manifest is a krew Plugin of the version; every platform has exactly one entry whose URI
// is under baseURL (when given), whose sha256 is the archive's on disk and its line in
// SHA256SUMS; the archive holds the files the entry copies and the binary named by bin,
// executable, built for that OS and architecture.
func verifyDist(dist, version, baseURL string, platforms []platformID) error {
	data, err := os.ReadFile(manifestPath(dist))
	if err != nil {
		return err
	}
	var m krewManifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%s: %w", manifestPath(dist), err)
	}
	sums, err := readChecksums(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		return err
	}
	errs := checkHeader(m, version)
	listed := map[string]bool{}
	for _, id := range platforms {
		entry, err := platformEntry(m, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		listed[path.Base(entry.URI)] = true
		if err := checkPlatform(dist, version, baseURL, id, entry, sums); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
		}
	}
	if extra := len(m.Spec.Platforms) - len(platforms); extra > 0 {
		errs = append(errs, fmt.Errorf("the manifest has %d platform(s) more than %v", extra, platforms))
	}
	for file := range sums {
		if !listed[file] {
			errs = append(errs, fmt.Errorf("SHA256SUMS lists %s, which no platform of the manifest downloads", file))
		}
	}
	return errors.Join(errs...)
}

func checkHeader(m krewManifest, version string) []error {
	var errs []error
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" {
		errs = append(errs, fmt.Errorf("not a krew Plugin manifest: apiVersion %q, kind %q", m.APIVersion, m.Kind))
	}
	if m.Metadata.Name != "gdpr" {
		errs = append(errs, fmt.Errorf("metadata.name is %q, want gdpr (kubectl gdpr)", m.Metadata.Name))
	}
	if m.Spec.Version != version {
		errs = append(errs, fmt.Errorf("spec.version is %q, want %q", m.Spec.Version, version))
	}
	if err := checkVersion(m.Spec.Version); err != nil {
		errs = append(errs, err)
	}
	if m.Spec.ShortDescription == "" || !strings.HasPrefix(m.Spec.Homepage, "https://") {
		errs = append(errs, errors.New("spec.shortDescription is empty or spec.homepage is not an https URL"))
	}
	return errs
}

// platformEntry is the one manifest entry whose selector matches id.
func platformEntry(m krewManifest, id platformID) (krewPlatform, error) {
	var found []krewPlatform
	for _, p := range m.Spec.Platforms {
		l := p.Selector.MatchLabels
		if l["os"] == id.OS && l["arch"] == id.Arch && len(l) == 2 {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return krewPlatform{}, fmt.Errorf("%s: %d platform entries select it, want 1", id, len(found))
	}
	return found[0], nil
}

func checkPlatform(dist, version, baseURL string, id platformID, p krewPlatform, sums map[string]string) error {
	archive := archiveName(version, id)
	if path.Base(p.URI) != archive {
		return fmt.Errorf("uri %s does not download %s", p.URI, archive)
	}
	if baseURL != "" && p.URI != strings.TrimSuffix(baseURL, "/")+"/"+archive {
		return fmt.Errorf("uri %s is not under %s", p.URI, baseURL)
	}
	if err := checkBaseURL(p.URI); err != nil {
		return err
	}
	sum, err := fileSHA256(filepath.Join(dist, archive))
	if err != nil {
		return err
	}
	if p.SHA256 != sum {
		return fmt.Errorf("sha256 %s in the manifest, %s on disk", p.SHA256, sum)
	}
	if sums[archive] != sum {
		return fmt.Errorf("sha256 %q in SHA256SUMS, %s on disk", sums[archive], sum)
	}
	files, err := readArchive(filepath.Join(dist, archive))
	if err != nil {
		return err
	}
	return checkArchiveFiles(id, p, files)
}

// checkArchiveFiles checks that the archive holds what the entry copies and runs.
func checkArchiveFiles(id platformID, p krewPlatform, files map[string]archivedFile) error {
	if p.Bin != id.bin() {
		return fmt.Errorf("bin is %q, want %q", p.Bin, id.bin())
	}
	copied := false
	for _, f := range p.Files {
		if _, ok := files[f.From]; !ok || f.To != "." {
			return fmt.Errorf("files: %s → %s, but the archive holds %v", f.From, f.To, slices.Sorted(maps.Keys(files)))
		}
		copied = copied || f.From == p.Bin
	}
	bin, ok := files[p.Bin]
	if !ok || (len(p.Files) > 0 && !copied) {
		return fmt.Errorf("bin %s is not in the archive or not copied by files", p.Bin)
	}
	if id.OS != "windows" && bin.mode&0o111 == 0 {
		return fmt.Errorf("bin %s is not executable (mode %v)", p.Bin, bin.mode)
	}
	built, err := binaryPlatform(bin.head)
	if err != nil {
		return fmt.Errorf("bin %s: %w", p.Bin, err)
	}
	if built != id {
		return fmt.Errorf("bin %s is built for %s", p.Bin, built)
	}
	return nil
}

// readChecksums reads a sha256sum file into file name → hex digest.
func readChecksums(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			return nil, fmt.Errorf("%s: malformed line %q", file, sc.Text())
		}
		out[name] = sum
	}
	return out, sc.Err()
}

// binaryPlatform reads the OS and architecture an executable is built for from its first
// bytes: an ELF header is linux, a 64-bit Mach-O darwin, a PE windows.
func binaryPlatform(head []byte) (platformID, error) {
	le := binary.LittleEndian
	switch {
	case len(head) >= 20 && bytes.HasPrefix(head, []byte(elf.ELFMAG)) && head[elf.EI_DATA] == byte(elf.ELFDATA2LSB):
		return platformID{OS: "linux", Arch: elfArch[elf.Machine(le.Uint16(head[18:]))]}, nil
	case len(head) >= 8 && le.Uint32(head) == macho.Magic64:
		return platformID{OS: "darwin", Arch: machoArch[macho.Cpu(le.Uint32(head[4:]))]}, nil
	case len(head) >= 0x40 && bytes.HasPrefix(head, []byte("MZ")):
		off := int(le.Uint32(head[0x3c:]))
		if off+6 > len(head) || !bytes.Equal(head[off:off+4], []byte("PE\x00\x00")) {
			return platformID{}, errors.New("an MZ header without a PE signature")
		}
		return platformID{OS: "windows", Arch: peArch[le.Uint16(head[off+4:])]}, nil
	}
	return platformID{}, errors.New("not an ELF, Mach-O or PE executable")
}

var (
	elfArch   = map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}
	machoArch = map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}
	peArch    = map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}
)

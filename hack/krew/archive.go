package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// archiveEntry is a file to put in an archive, at the archive's root.
type archiveEntry struct {
	name string // the name in the archive
	path string // the file on disk
	mode int64  // permission bits
}

// writeArchive writes entries into a .tar.gz or, when path ends in .zip, a .zip archive.
// Every entry gets the same modification time, owner 0 and fixed permissions, so that the
// same binaries always give the same archive and checksum.
func writeArchive(path string, entries []archiveEntry, mtime time.Time) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if strings.HasSuffix(path, ".zip") {
		return writeZip(f, entries, mtime)
	}
	return writeTarGz(f, entries, mtime)
}

func writeTarGz(w io.Writer, entries []archiveEntry, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		info, err := os.Stat(e.path)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: e.name, Size: info.Size(), Mode: e.mode, ModTime: mtime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if err := copyFile(tw, e.path); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, entries []archiveEntry, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(os.FileMode(e.mode))
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if err := copyFile(fw, e.path); err != nil {
			return err
		}
	}
	return zw.Close()
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// archivedFile is a regular file found in an archive.
type archivedFile struct {
	mode os.FileMode
	// head is the file's first bytes, enough to read an executable's header.
	head []byte
}

// headSize is how much of each archived file readArchive keeps.
const headSize = 4096

// readArchive lists the regular files of a .tar.gz or .zip archive by name.
func readArchive(path string) (map[string]archivedFile, error) {
	if strings.HasSuffix(path, ".zip") {
		return readZip(path)
	}
	return readTarGz(path)
}

func readTarGz(path string) (map[string]archivedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	tr := tar.NewReader(gz)
	out := map[string]archivedFile{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		head, err := readHead(tr)
		if err != nil {
			return nil, err
		}
		out[hdr.Name] = archivedFile{mode: hdr.FileInfo().Mode(), head: head}
	}
}

func readZip(path string) (map[string]archivedFile, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	defer zr.Close()
	out := map[string]archivedFile{}
	for _, f := range zr.File {
		if !f.Mode().IsRegular() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		head, err := readHead(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		out[f.Name] = archivedFile{mode: f.Mode(), head: head}
	}
	return out, nil
}

// readHead reads the first headSize bytes of r (fewer when r is shorter) and discards the
// rest, so that a truncated or corrupt archive fails here.
func readHead(r io.Reader) ([]byte, error) {
	head := make([]byte, headSize)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, err
	}
	return head[:n], nil
}

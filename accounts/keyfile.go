package accounts

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFileName is the signing key's file inside the data directory.
const KeyFileName = "jwt-ed25519.pem"

// LoadOrCreateKey returns the Ed25519 signing key kept in dir/KeyFileName
// (PKCS#8 PEM), creating the directory (0700) and a new key (0600) when
// there is none. A key file readable or writable by group or others is
// refused rather than used. Creation is atomic: the key is written to a
// temporary file and hard-linked into place, so concurrent starts agree on
// one key and nobody reads a half-written file.
func LoadOrCreateKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, KeyFileName)
	if k, err := readKey(path); !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("accounts: creating key directory: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("accounts: generating key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("accounts: encoding key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".jwt-key-*")
	if err != nil {
		return nil, fmt.Errorf("accounts: creating key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600 already; Chmod makes it explicit.
	werr := errors.Join(tmp.Chmod(0o600), pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}), tmp.Sync(), tmp.Close())
	if werr != nil {
		return nil, fmt.Errorf("accounts: writing key file: %w", werr)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("accounts: installing key file: %w", err)
	}
	// Whether we or a concurrent start won, the file in place is the key.
	return readKey(path)
}

func readKey(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("accounts: key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("accounts: key file %s has mode %v; it must be accessible by its owner only (0600)", path, fi.Mode().Perm())
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("accounts: reading key file: %w", err)
	}
	return ParsePrivateKey(text)
}

// ParsePrivateKey reads a PEM "PRIVATE KEY" (PKCS#8) block holding an
// Ed25519 key.
func ParsePrivateKey(pemText []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("accounts: no PEM PRIVATE KEY block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("accounts: parsing private key: %w", err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("accounts: not an Ed25519 private key")
	}
	return ek, nil
}

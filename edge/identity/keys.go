package identity

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// APIKey is a configured client API key. Only its SHA-256 is kept.
type APIKey struct {
	ID   string
	Plan string
	hash [32]byte
}

// NewAPIKey hashes secret for lookup; the secret itself is not retained.
func NewAPIKey(id, plan, secret string) APIKey {
	return APIKey{ID: id, Plan: plan, hash: sha256.Sum256([]byte(secret))}
}

// ParseEd25519PublicKey reads a PEM "PUBLIC KEY" block holding an Ed25519 key.
func ParseEd25519PublicKey(pemText []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing public key: %w", err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("not an Ed25519 public key")
	}
	return ek, nil
}

package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/apimapping"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/erasure"
)

// Keys of the connection Secret.
const (
	secretKeyDSN      = "dsn"
	secretKeyHost     = "host"
	secretKeyPort     = "port"
	secretKeyUser     = "user"
	secretKeyPassword = "password"
	secretKeyDatabase = "database"
	secretKeyPath     = "path"
)

// maxStatusProblems is how many schema problems the status lists (the API's bound).
const maxStatusProblems = 32

// minHMACKeyBytes is the shortest ledger HMAC key accepted.
const minHMACKeyBytes = 32

// conditionError is a failure to report in a condition: a documented reason and a message
// that says what to fix. Messages name Secrets and keys, never their values.
type conditionError struct {
	reason  string
	message string
}

func (e *conditionError) Error() string { return e.message }

func condErr(reason, format string, args ...any) *conditionError {
	return &conditionError{reason: reason, message: fmt.Sprintf(format, args...)}
}

// secretReader reads Secrets straight from the API server: the operator caches only their
// metadata, so that it does not keep every Secret of the cluster in memory.
type secretReader struct{ reader client.Reader }

func (r secretReader) get(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	err := r.reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, s)
	switch {
	case apierrors.IsNotFound(err):
		return nil, condErr(privacyv1alpha1.ReasonSecretNotFound, "Secret %s not found in namespace %s: create it or fix the reference", name, namespace)
	case err != nil:
		return nil, fmt.Errorf("while reading Secret %s/%s: %w", namespace, name, err)
	}
	return s, nil
}

func (r secretReader) key(ctx context.Context, namespace string, sel privacyv1alpha1.SecretKeySelector) ([]byte, error) {
	s, err := r.get(ctx, namespace, string(sel.Name))
	if err != nil {
		return nil, err
	}
	v, ok := s.Data[sel.Key]
	if !ok || len(v) == 0 {
		return nil, condErr(privacyv1alpha1.ReasonSecretKeyMissing, "Secret %s has no key %q (or it is empty)", sel.Name, sel.Key)
	}
	return v, nil
}

// connConfig builds the connection settings of a CRMDatabase from its Secrets.
func (r secretReader) connConfig(ctx context.Context, db *privacyv1alpha1.CRMDatabase) (crm.ConnConfig, error) {
	spec := db.Spec.Connection
	s, err := r.get(ctx, db.Namespace, string(spec.SecretRef.Name))
	if err != nil {
		return crm.ConnConfig{}, err
	}
	c, err := connConfigFromSecret(crm.Engine(db.Spec.Engine), string(spec.SecretRef.Name), s.Data)
	if err != nil {
		return crm.ConnConfig{}, err
	}
	c.Schema = string(spec.Schema)
	if spec.MaxOpenConns != nil {
		c.MaxOpenConns = int(*spec.MaxOpenConns)
	}
	if spec.TLS != nil {
		c.TLSMode = crm.TLSMode(spec.TLS.Mode)
		if spec.TLS.CASecretRef != nil {
			if c.CACert, err = r.key(ctx, db.Namespace, *spec.TLS.CASecretRef); err != nil {
				return crm.ConnConfig{}, err
			}
		}
	}
	if err := c.Validate(); err != nil {
		return crm.ConnConfig{}, settingsError(string(spec.SecretRef.Name), err)
	}
	return c, nil
}

// settingsError turns a refusal of the connection settings into a condition. The crm
// package's messages name options and settings, never their values, and never quote a dsn.
func settingsError(secret string, err error) error {
	var unsupported *crm.UnsupportedOptionError
	var invalid *crm.InvalidDSNError
	switch {
	case errors.As(err, &unsupported):
		return condErr(privacyv1alpha1.ReasonUnsupportedOption, "Secret %s key %q: %v", secret, secretKeyDSN, unsupported)
	case errors.As(err, &invalid):
		return condErr(privacyv1alpha1.ReasonInvalidSpec, "Secret %s key %q: %v", secret, secretKeyDSN, invalid)
	}
	return condErr(privacyv1alpha1.ReasonSecretKeyMissing, "the connection settings from Secret %s are incomplete: %v", secret, err)
}

// connConfigFromSecret reads the documented keys: dsn, or host/port/user/password/database,
// or (SQLite) path.
func connConfigFromSecret(engine crm.Engine, secret string, data map[string][]byte) (crm.ConnConfig, error) {
	c := crm.ConnConfig{Engine: engine}
	get := func(k string) string { return strings.TrimSpace(string(data[k])) }
	if dsn := get(secretKeyDSN); dsn != "" {
		if extra := presentKeys(data, secretKeyHost, secretKeyPort, secretKeyUser, secretKeyPassword, secretKeyDatabase, secretKeyPath); len(extra) > 0 {
			return c, condErr(privacyv1alpha1.ReasonInvalidSpec, "Secret %s has key %q and also %s: give either dsn or the separate keys", secret, secretKeyDSN, strings.Join(extra, ", "))
		}
		c.DSN = dsn
		return c, nil
	}
	if engine == crm.EngineSQLite {
		if c.Database = get(secretKeyPath); c.Database == "" {
			c.Database = get(secretKeyDatabase)
		}
		if c.Database == "" {
			return c, condErr(privacyv1alpha1.ReasonSecretKeyMissing, "Secret %s needs key %q (the SQLite file) or %q", secret, secretKeyPath, secretKeyDSN)
		}
		return c, nil
	}
	if missing := missingKeys(data, secretKeyHost, secretKeyUser, secretKeyDatabase); len(missing) > 0 {
		return c, condErr(privacyv1alpha1.ReasonSecretKeyMissing, "Secret %s lacks key(s) %s: give %q, or %s (and optionally %s, %s)", secret,
			strings.Join(missing, ", "), secretKeyDSN, "host, user, database", secretKeyPort, secretKeyPassword)
	}
	c.Host, c.User, c.Database = get(secretKeyHost), get(secretKeyUser), get(secretKeyDatabase)
	c.Password = string(data[secretKeyPassword])
	if p := get(secretKeyPort); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return c, condErr(privacyv1alpha1.ReasonInvalidSpec, "Secret %s: key %q must be a port number from 1 to 65535", secret, secretKeyPort)
		}
		c.Port = port
	}
	return c, nil
}

func presentKeys(data map[string][]byte, keys ...string) []string {
	var present []string
	for _, k := range keys {
		if len(data[k]) > 0 {
			present = append(present, k)
		}
	}
	return present
}

func missingKeys(data map[string][]byte, keys ...string) []string {
	var missing []string
	for _, k := range keys {
		if strings.TrimSpace(string(data[k])) == "" {
			missing = append(missing, k)
		}
	}
	return missing
}

// ledgerEnabled says whether the CRMDatabase keeps an erasure ledger (the default).
func ledgerEnabled(db *privacyv1alpha1.CRMDatabase) bool {
	return db.Spec.Ledger == nil || db.Spec.Ledger.Enabled == nil || *db.Spec.Ledger.Enabled
}

// hmacKey reads the ledger HMAC key, if one is configured.
func (r secretReader) hmacKey(ctx context.Context, db *privacyv1alpha1.CRMDatabase) ([]byte, error) {
	if db.Spec.Ledger == nil || db.Spec.Ledger.HMACKeySecretRef == nil {
		return nil, nil
	}
	k, err := r.key(ctx, db.Namespace, *db.Spec.Ledger.HMACKeySecretRef)
	if err != nil {
		return nil, err
	}
	if err := erasure.CheckLedgerSecret(k); err != nil {
		return nil, condErr(privacyv1alpha1.ReasonLedgerFailed, "the HMAC key in Secret %s key %q is refused: %v",
			db.Spec.Ledger.HMACKeySecretRef.Name, db.Spec.Ledger.HMACKeySecretRef.Key, err)
	}
	return k, nil
}

// toMapping converts the API mapping into the CRM layer's (see apimapping.FromAPI, the one
// conversion the operator and the plugin share).
func toMapping(sm *privacyv1alpha1.SchemaMapping) crm.Mapping { return apimapping.FromAPI(sm) }

// problemsToStatus converts mapping problems for the status, sorted by field.
func problemsToStatus(ps []crm.Problem) []privacyv1alpha1.SchemaProblem {
	out := make([]privacyv1alpha1.SchemaProblem, 0, len(ps))
	for _, p := range ps {
		out = append(out, privacyv1alpha1.SchemaProblem{Field: p.Field, Message: p.Message, Kind: privacyv1alpha1.SchemaProblemKind(p.Kind),
			Table: p.Table, Column: p.Column, ActualType: p.ActualType, ExpectedTypes: p.Expected})
	}
	slices.SortStableFunc(out, func(a, b privacyv1alpha1.SchemaProblem) int { return strings.Compare(a.Field, b.Field) })
	if len(out) > maxStatusProblems {
		out = out[:maxStatusProblems]
	}
	return out
}

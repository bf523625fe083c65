package crm

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// Pools holds one connection pool per CRM database, keyed by a string of the caller's
// choice ("namespace/name" of the CRMDatabase). Every controller that works on the same
// CRMDatabase gets the same *Database, so the connection limits hold for the whole
// operator. It is safe for concurrent use.
//
// A pool is replaced when the connection settings for its key change (a rotated Secret, a
// new host): Get opens the new pool and closes the old one, whose statements in progress
// finish first and whose later statements fail with "sql: database is closed".
type Pools struct {
	mu      sync.Mutex
	entries map[string]*poolEntry
	// salt keys the settings hash, so that the hash of a password is not a stable value
	// that could be compared with hashes of guesses.
	salt []byte
	// opKeys are handed to every Database the registry opens.
	opKeys OperatorKeys
	// allowedHosts restricts the servers every pool may reach (nil: any).
	allowedHosts *HostAllowList
}

type poolEntry struct {
	hash [sha256.Size]byte
	db   *Database
}

// NewPools returns an empty registry.
func NewPools() *Pools {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		panic(fmt.Sprintf("crm: reading random salt: %v", err))
	}
	return &Pools{entries: map[string]*poolEntry{}, salt: salt}
}

// SetOperatorKeys sets the keys every pool opened from now on authenticates the
// operator's rows with. Call it before the first Get.
func (p *Pools) SetOperatorKeys(k OperatorKeys) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opKeys = k
}

// RestrictHosts makes every pool opened from now on connect only to the hosts l allows
// (the manager's --allowed-database-hosts); nil allows every host. It returns p.
func (p *Pools) RestrictHosts(l *HostAllowList) *Pools {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.allowedHosts = l
	return p
}

// Get returns the pool for key, opening it on first use and replacing it when c differs
// from the settings it was opened with. It does not connect: use Ping.
func (p *Pools) Get(key string, c ConnConfig) (*Database, error) {
	c = c.WithDefaults()
	hash, err := p.hash(c)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	c.AllowedHosts = p.allowedHosts
	if e, ok := p.entries[key]; ok && e.hash == hash {
		p.mu.Unlock()
		return e.db, nil
	}
	db, err := Open(c)
	if err != nil {
		p.mu.Unlock()
		return nil, fmt.Errorf("while opening the connection pool of %s: %w", key, err)
	}
	db.SetOperatorKeys(p.opKeys)
	old := p.entries[key]
	p.entries[key] = &poolEntry{hash: hash, db: db}
	p.mu.Unlock()
	if old != nil {
		// Outside the lock: Close waits for statements in progress on the old pool.
		if err := old.db.Close(); err != nil {
			return db, fmt.Errorf("while closing the replaced connection pool of %s: %w", key, err)
		}
	}
	return db, nil
}

// Lookup returns the pool open for key, if any, without opening one: for controllers that
// act on a CRMDatabase whose connection another controller manages.
func (p *Pools) Lookup(key string) (*Database, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[key]
	if !ok {
		return nil, false
	}
	return e.db, true
}

// Close closes and forgets the pool of key (the CRMDatabase was deleted). Closing a key
// without a pool does nothing.
func (p *Pools) Close(key string) error {
	p.mu.Lock()
	e, ok := p.entries[key]
	delete(p.entries, key)
	p.mu.Unlock()
	if !ok {
		return nil
	}
	if err := e.db.Close(); err != nil {
		return fmt.Errorf("while closing the connection pool of %s: %w", key, err)
	}
	return nil
}

// CloseAll closes every pool (at operator shutdown).
func (p *Pools) CloseAll() error {
	p.mu.Lock()
	entries := p.entries
	p.entries = map[string]*poolEntry{}
	p.mu.Unlock()
	var errs []error
	for key, e := range entries {
		if err := e.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("while closing the connection pool of %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// Keys returns the keys that have an open pool, sorted.
func (p *Pools) Keys() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	keys := make([]string, 0, len(p.entries))
	for k := range p.entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// hash is a salted digest of every setting, secrets included.
func (p *Pools) hash(c ConnConfig) ([sha256.Size]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("while hashing connection settings: %w", err)
	}
	h := sha256.New()
	h.Write(p.salt)
	h.Write(b)
	var out [sha256.Size]byte
	copy(out[:], h.Sum(nil))
	return out, nil
}

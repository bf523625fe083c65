package controllers

import (
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// Connection is what the CRMDatabase controller knows of one database after its last
// check: the shared pool, the resolved mapping, the ledger key, and whether every check
// passed. Other controllers read it through Connections.Ready and never touch data when
// it is not ready.
type Connection struct {
	// DB is the shared pool.
	DB *crm.Database
	// Mapping is the preset merged with the CRMDatabase's mapping, validated against the
	// catalog.
	Mapping crm.Mapping
	// LedgerEnabled says whether erasures must be written to the ledger.
	LedgerEnabled bool
	// HMACKey keys the ledger's subject HMACs and the Hash anonymisation strategy.
	HMACKey []byte
	// Generation is the CRMDatabase generation the check was made for.
	Generation int64
	// Ready is true when the connection, the schema and (when enabled) the ledger are good.
	Ready bool
	// Reason and Message say why the database is not ready.
	Reason, Message string
}

// NotReadyError says that a CRMDatabase cannot be used now, and why.
type NotReadyError struct {
	Database types.NamespacedName
	Reason   string
	Message  string
	// Unchecked is true when this process has not checked the database yet (just after a
	// start or a failover): its state is not known, and a dependent leaves its status as
	// it is until the check, which wakes it (Connections.Subscribe).
	Unchecked bool
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("CRMDatabase %s is not ready (%s): %s", e.Database.Name, e.Reason, e.Message)
}

// Connections is the registry of CRM database connections, keyed by the CRMDatabase's
// namespace and name. It is safe for concurrent use.
type Connections struct {
	pools *crm.Pools
	mu    sync.RWMutex
	conns map[types.NamespacedName]Connection
	// subscribers are woken with the CRMDatabase's key whenever what Ready returns for it
	// changes: the first check after a start, a change of readiness or of generation, a
	// deletion.
	subscribers []chan event.GenericEvent
}

// Subscribe returns a channel on which the registry sends a CRMDatabase (namespace and name
// only) each time what Ready returns for it changes. Dependent controllers watch it
// (source.Channel) so that they act on the first check after a start or a failover at
// once, instead of waiting for the database's Ready condition to change, which it does
// not when the new process finds what the old one found.
func (c *Connections) Subscribe() <-chan event.GenericEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan event.GenericEvent, 1024)
	c.subscribers = append(c.subscribers, ch)
	return ch
}

// notifyLocked wakes the subscribers about key; c.mu is held. A full channel (a manager
// that stopped reading) does not block the CRMDatabase controller.
func (c *Connections) notifyLocked(key types.NamespacedName) {
	for _, ch := range c.subscribers {
		ev := event.GenericEvent{Object: &privacyv1alpha1.CRMDatabase{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}}
		select {
		case ch <- ev:
		default:
			go func(ch chan event.GenericEvent) { ch <- ev }(ch)
		}
	}
}

// changed says whether a dependent may see a difference between two states of an entry.
func changed(old Connection, wasKnown bool, now Connection) bool {
	return !wasKnown || old.Ready != now.Ready || old.Generation != now.Generation || old.Reason != now.Reason || old.DB != now.DB
}

// NewConnections returns an empty registry using pools.
func NewConnections(pools *crm.Pools) *Connections {
	return &Connections{pools: pools, conns: map[types.NamespacedName]Connection{}}
}

// Pools returns the pool registry (for the CRMDatabase controller only).
func (c *Connections) Pools() *crm.Pools { return c.pools }

// Set records the outcome of a check.
func (c *Connections) Set(key types.NamespacedName, conn Connection) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, known := c.conns[key]
	c.conns[key] = conn
	if changed(old, known, conn) {
		c.notifyLocked(key)
	}
}

// MarkNotReady keeps the last known connection but marks it not ready, so that no other
// controller uses it until the next successful check.
func (c *Connections) MarkNotReady(key types.NamespacedName, reason, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, known := c.conns[key]
	conn := old
	conn.Ready, conn.Reason, conn.Message = false, reason, message
	c.conns[key] = conn
	if changed(old, known, conn) {
		c.notifyLocked(key)
	}
}

// Forget closes the pool of a deleted CRMDatabase and drops its entry.
func (c *Connections) Forget(key types.NamespacedName) error {
	c.mu.Lock()
	if _, known := c.conns[key]; known {
		delete(c.conns, key)
		c.notifyLocked(key)
	}
	c.mu.Unlock()
	return c.pools.Close(key.String())
}

// CloseAll closes every pool (at shutdown).
func (c *Connections) CloseAll() error {
	c.mu.Lock()
	c.conns = map[types.NamespacedName]Connection{}
	c.mu.Unlock()
	return c.pools.CloseAll()
}

// Ready returns the connection of a CRMDatabase when its last check passed, or a
// *NotReadyError saying why it cannot be used.
func (c *Connections) Ready(key types.NamespacedName) (Connection, error) {
	c.mu.RLock()
	conn, ok := c.conns[key]
	c.mu.RUnlock()
	switch {
	case !ok:
		return Connection{}, &NotReadyError{Database: key, Reason: privacyv1alpha1.ReasonDatabaseNotReady,
			Message: "the operator has not checked this database yet", Unchecked: true}
	case !conn.Ready || conn.DB == nil:
		return Connection{}, &NotReadyError{Database: key, Reason: conn.Reason, Message: conn.Message}
	}
	return conn, nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The plugin asks the operator for work (a run now, a findings export) the GitOps way, as
// Flux's `reconcile.fluxcd.io/requestedAt`: it sets one annotation with a merge patch,
// which touches nothing else of the object, and the operator answers each new value once,
// in the object's status. The plugin never writes a status and never reaches a CRM.

// annotationPollInterval is how often a waiting command reads the object again.
var annotationPollInterval = time.Second

// setAnnotation sets one annotation of obj with a JSON merge patch.
func setAnnotation(ctx context.Context, c client.Client, obj client.Object, key, value string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{key: value}}})
	if err != nil {
		return err
	}
	if err := c.Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("while setting the annotation %s on %s: %w", key, obj.GetName(), err)
	}
	return nil
}

// errWaitTimedOut is returned when the operator did not answer within the timeout.
var errWaitTimedOut = errors.New("timed out")

// waitUntil reads obj again every annotationPollInterval until done says so, the context
// ends or timeout passes (then errWaitTimedOut, wrapped with what was awaited).
func waitUntil(ctx context.Context, c client.Reader, obj client.Object, timeout time.Duration, what string, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(annotationPollInterval)
	defer tick.Stop()
	for {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil && ctx.Err() == nil {
			return fmt.Errorf("while reading %s: %w", obj.GetName(), err)
		}
		if ctx.Err() == nil {
			ok, err := done()
			if ok || err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w after %s waiting for %s", errWaitTimedOut, timeout, what)
		case <-tick.C:
		}
	}
}

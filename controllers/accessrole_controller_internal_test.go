package controllers

import (
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm/access"
)

// The controller sends a password only when its Secret changed; a pass that did not set it
// must make the next pass send it again, on both engines.
func TestAccessRolePasswordNotSet(t *testing.T) {
	tests := []struct {
		name string
		res  access.Result
		want bool
	}{
		{"set", access.Result{Members: map[string]access.MemberOutcome{"alice": {Holds: true}}}, false},
		{"withheld rotation (PostgreSQL, MySQL)", access.Result{PasswordsWithheld: []string{"alice"}}, true},
		{"login not created: would be logged", access.Result{Members: map[string]access.MemberOutcome{"alice": {Problem: access.MemberPasswordWithheld}}}, true},
		{"login not created: no password given", access.Result{Members: map[string]access.MemberOutcome{"alice": {Problem: access.MemberPasswordUnavailable}}}, true},
		{"another member's problem", access.Result{Members: map[string]access.MemberOutcome{"bob": {Problem: access.MemberPasswordWithheld}}}, false},
		{"remaining names the password", access.Result{Remaining: []string{"the password of login alice was not changed: the binary log would record it"}}, true},
		{"remaining: no password yet", access.Result{Remaining: []string{"login alice has no password yet: it cannot log in"}}, true},
		{"remaining names another login", access.Result{Remaining: []string{"the password of login alice2 was not changed"}}, false},
		{"remaining without a password", access.Result{Remaining: []string{"extra member alice"}}, false},
		{"owned elsewhere", access.Result{Members: map[string]access.MemberOutcome{"alice": {Problem: access.MemberUserOwnedElsewhere}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := passwordNotSet(tt.res, "alice"); got != tt.want {
				t.Errorf("passwordNotSet = %v, want %v", got, tt.want)
			}
		})
	}
}

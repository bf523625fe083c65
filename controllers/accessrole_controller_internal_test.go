package controllers

import (
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/crm"
)

// The controller sends a password only when its Secret changed; a pass that did not set it
// must make the next pass send it again, on both engines.
func TestAccessRolePasswordNotSet(t *testing.T) {
	tests := []struct {
		name string
		res  crm.AccessResult
		want bool
	}{
		{"set", crm.AccessResult{Members: map[string]crm.MemberOutcome{"alice": {Holds: true}}}, false},
		{"withheld rotation (PostgreSQL, MySQL)", crm.AccessResult{PasswordsWithheld: []string{"alice"}}, true},
		{"login not created: would be logged", crm.AccessResult{Members: map[string]crm.MemberOutcome{"alice": {Problem: crm.MemberPasswordWithheld}}}, true},
		{"login not created: no password given", crm.AccessResult{Members: map[string]crm.MemberOutcome{"alice": {Problem: crm.MemberPasswordUnavailable}}}, true},
		{"another member's problem", crm.AccessResult{Members: map[string]crm.MemberOutcome{"bob": {Problem: crm.MemberPasswordWithheld}}}, false},
		{"remaining names the password", crm.AccessResult{Remaining: []string{"the password of login alice was not changed: the binary log would record it"}}, true},
		{"remaining: no password yet", crm.AccessResult{Remaining: []string{"login alice has no password yet: it cannot log in"}}, true},
		{"remaining names another login", crm.AccessResult{Remaining: []string{"the password of login alice2 was not changed"}}, false},
		{"remaining without a password", crm.AccessResult{Remaining: []string{"extra member alice"}}, false},
		{"owned elsewhere", crm.AccessResult{Members: map[string]crm.MemberOutcome{"alice": {Problem: crm.MemberUserOwnedElsewhere}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := passwordNotSet(tt.res, "alice"); got != tt.want {
				t.Errorf("passwordNotSet = %v, want %v", got, tt.want)
			}
		})
	}
}

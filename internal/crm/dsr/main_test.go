package dsr

import (
	"testing"

	"github.com/crm-privacy-operator/crm-privacy-operator/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

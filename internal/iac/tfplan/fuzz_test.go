package tfplan

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/examples/p*/plan.json")
	for _, s := range seeds {
		data, _ := os.ReadFile(s)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Load("plan.json", data); err != nil && err.Error() == "" {
			t.Error("empty error")
		}
	})
}

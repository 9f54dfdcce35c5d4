package gctune

import (
	"errors"
	"testing"
)

func TestDecide(t *testing.T) {
	const v2, v1 = "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	for _, tc := range []struct {
		name  string
		env   map[string]string
		files map[string]string
		want  Settings
	}{
		{"no container", nil, nil, Settings{Percent: 400}},
		{"cgroup v2 without a limit", nil, map[string]string{v2: "max\n"}, Settings{Percent: 400}},
		{"cgroup v2, 512 MiB", nil, map[string]string{v2: "536870912\n"}, Settings{Percent: 400, Limit: 456340275}},
		{"cgroup v1, 1 GiB", nil, map[string]string{v1: "1073741824"}, Settings{Percent: 400, Limit: 912680550}},
		{"cgroup v1 without a limit", nil, map[string]string{v1: "9223372036854771712"}, Settings{Percent: 400}},
		{"an unreadable value", nil, map[string]string{v2: "lots"}, Settings{Percent: 400}},
		{"the user's GOGC", map[string]string{"GOGC": "100"}, map[string]string{v2: "536870912"}, Settings{Percent: -1, Limit: 456340275}},
		{"the user's GOMEMLIMIT", map[string]string{"GOMEMLIMIT": "300MiB"}, map[string]string{v2: "536870912"}, Settings{Percent: 400}},
	} {
		got := Decide(func(k string) string { return tc.env[k] }, func(p string) ([]byte, error) {
			if v, ok := tc.files[p]; ok {
				return []byte(v), nil
			}
			return nil, errors.New("no such file")
		})
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

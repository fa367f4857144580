package queries

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSubstitute(t *testing.T) {
	got, err := Substitute(`rate(x{instance=~"$instance", name=~"${container:regex}"}[$__rate_interval]) |~ ` + "`$search`")
	require.NoError(t, err)
	require.Equal(t, `rate(x{instance=~".+", name=~".+"}[2m]) |~ `+"`.+`", got)
	_, err = Substitute(`x[$__nonexistent]`)
	require.Error(t, err)
}

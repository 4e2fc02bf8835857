package config

import "testing"

func TestExpand(t *testing.T) {
	env := mapEnv(map[string]string{"HOST": "db", "EMPTY": "", "DOLLAR": "$x", "PORT": "5432"})
	for _, tc := range []struct{ name, in, want string }{
		{"text without references is unchanged", "plain text", "plain text"},
		{"a variable", "${HOST}", "db"},
		{"variables inside text", "postgres://${HOST}:${PORT}/rapport", "postgres://db:5432/rapport"},
		{"a set empty variable is empty", "[${EMPTY}]", "[]"},
		{"a default for an unset variable", "${NOPE:-fallback}", "fallback"},
		{"a default for an empty variable", "${EMPTY:-fallback}", "fallback"},
		{"no default for a set variable", "${HOST:-fallback}", "db"},
		{"an empty default", "${NOPE:-}", ""},
		{"a default with colons and slashes", "${NOPE:-http://x:1/}", "http://x:1/"},
		{"$$ is a literal dollar", "pa$$word", "pa$word"},
		{"$$ before a brace is not a reference", "$${HOST}", "${HOST}"},
		{"values are not expanded again", "${DOLLAR}", "$x"},
	} {
		got, err := expand(tc.in, env)
		if err != nil || got != tc.want {
			t.Errorf("%s: expand(%q) = %q, %v; want %q", tc.name, tc.in, got, err, tc.want)
		}
	}
}

func TestExpandRejects(t *testing.T) {
	env := mapEnv(map[string]string{"HOST": "db"})
	for _, tc := range []struct{ name, in, want string }{
		{"an unset variable", "${NOPE}", "environment variable NOPE is not set (use ${NOPE:-default} to give a default)"},
		{"a bare $NAME", "$HOST", `"$" must start ${NAME} or ${NAME:-default} (write $$ for a literal $)`},
		{"a trailing $", "cost$", `"$" must start ${NAME} or ${NAME:-default} (write $$ for a literal $)`},
		{"an unterminated reference", "${HOST", `unterminated "${" (want ${NAME} or ${NAME:-default})`},
		{"an empty name", "${}", "invalid variable reference ${} (want ${NAME} or ${NAME:-default})"},
		{"a name starting with a digit", "${1X}", "invalid variable reference ${1X} (want ${NAME} or ${NAME:-default})"},
		{"another shell operator", "${HOST:?missing}", "invalid variable reference ${HOST:?missing} (want ${NAME} or ${NAME:-default})"},
	} {
		_, err := expand(tc.in, env)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: expand(%q) error %v, want %s", tc.name, tc.in, err, tc.want)
		}
	}
	if _, err := expand("${HOME}", nil); err == nil {
		t.Error("a nil lookup should mean no variables are set")
	}
}

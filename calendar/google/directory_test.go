package google_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/rapport-dev/rapport/calendar/google"
	"github.com/rapport-dev/rapport/calendar/google/googletest"
)

func directoryServer(t *testing.T) *googletest.Server {
	srv := googletest.NewServer(t)
	srv.PageLimit = 2 // several pages
	srv.AddUser("Alice@example.com", "", false)
	srv.AddUser(bob, "Alice@Example.com", false)
	srv.AddUser(carol, alice, false)
	srv.AddUser("dave@example.com", carol, false)
	srv.AddUser("erin@example.com", carol, true) // suspended: no 1:1s
	srv.AddUser("frank@example.com", "", false)
	return srv
}

func TestDirectoryTeamsGroupsUsersByTheirManagerRelation(t *testing.T) {
	srv := directoryServer(t)
	d, err := google.NewDirectory(google.Config{Auth: google.AuthNone, Endpoint: srv.Endpoint()}, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	teams, err := google.DirectoryTeams(context.Background(), d, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []google.Team{
		{Manager: alice, Reports: []string{bob, carol}},
		{Manager: carol, Reports: []string{"dave@example.com"}},
	}
	if !reflect.DeepEqual(teams, want) {
		t.Errorf("teams %+v, want %+v", teams, want)
	}
	if n := srv.Count(googletest.CallUsersList, ""); n != 3 {
		t.Errorf("%d pages read, want 3", n)
	}
	for _, r := range srv.Requests() {
		if r.Query.Get("customer") != "my_customer" {
			t.Errorf("customer %q, want my_customer", r.Query.Get("customer"))
		}
	}
}

func TestDirectoryTeamsActsAsTheAdministratorWithTheDirectoryScope(t *testing.T) {
	o := googletest.NewOAuth(t)
	srv := directoryServer(t)
	srv.Auth = o.Check(false)
	d, err := google.NewDirectory(google.Config{Auth: google.AuthServiceAccount, Credentials: o.ServiceAccountJSON(serviceAccount),
		Endpoint: srv.Endpoint()}, "admin@example.com", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := google.DirectoryTeams(context.Background(), d, "C01abc"); err != nil {
		t.Fatal(err)
	}
	as := o.Assertions()
	if len(as) != 1 || as[0].Sub != "admin@example.com" || as[0].Scope != google.DirectoryScope {
		t.Errorf("assertions %+v, want one as admin@example.com for %s", as, google.DirectoryScope)
	}
}

func TestDirectoryErrorsAreNamed(t *testing.T) {
	srv := directoryServer(t)
	srv.Inject(googletest.Fault{Call: googletest.CallUsersList, Status: 403, Reason: "forbidden"})
	d, err := google.NewDirectory(google.Config{Auth: google.AuthNone, Endpoint: srv.Endpoint()}, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = google.DirectoryTeams(context.Background(), d, "")
	if err == nil || !strings.Contains(err.Error(), "google: directory: users.list: HTTP 403 Forbidden (forbidden)") {
		t.Errorf("err %v", err)
	}
	if _, err := google.NewDirectory(google.Config{Auth: google.AuthOAuth}, "", nil, nil); err == nil || !strings.Contains(err.Error(), "domain-wide delegation") {
		t.Errorf("oauth directory: %v", err)
	}
}

// Command kstatus prints the kstatus verdict (Current, InProgress, Failed, ...) for each
// Kubernetes object read as JSON from stdin (one object, or a List), one line per object:
// "<namespace>/<name> <status> <message>". End-to-end tests use it to check that rolesmith's
// conditions read the way kstatus-aware tools (Flux, Argo CD, kpt) will read them.
package main

import (
	// The apimachinery decoder keeps integers as int64, which unstructured accessors expect.
	"fmt"
	"io"
	json "k8s.io/apimachinery/pkg/util/json"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	var object map[string]interface{}
	if err := json.Unmarshal(input, &object); err != nil {
		fail(err)
	}
	items := []interface{}{object}
	if list, ok := object["items"].([]interface{}); ok && object["kind"] == "List" {
		items = list
	}
	for _, item := range items {
		fields, ok := item.(map[string]interface{})
		if !ok {
			fail(fmt.Errorf("not an object: %v", item))
		}
		u := &unstructured.Unstructured{Object: fields}
		result, err := status.Compute(u)
		if err != nil {
			fail(err)
		}
		fmt.Printf("%s/%s %s %s\n", u.GetNamespace(), u.GetName(), result.Status, result.Message)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kstatus:", err)
	os.Exit(1)
}

//go:build !race

package e2e

// raceBuild reports that the tests run with the race detector (see race_test.go).
const raceBuild = false

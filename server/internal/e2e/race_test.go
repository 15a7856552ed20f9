//go:build race

package e2e

// raceBuild reports that the tests run with the race detector: hooknormd is then built with it
// too, so a race in hooknormd fails the test that provoked it.
const raceBuild = true

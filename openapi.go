// Package hooknorm holds what belongs to the whole project rather than to the server or the
// client: the OpenAPI document generated from the protos, which hooknormd serves at
// /openapi.json. (The generated code lives in gen/, which buf replaces whole on each run, so the
// embedding file sits here.)
package hooknorm

import _ "embed"

// OpenAPI is the generated OpenAPI 2 (Swagger) description of hooknorm's HTTP API, from
// gen/openapi/hooknorm.swagger.json.
//
//go:embed gen/openapi/hooknorm.swagger.json
var OpenAPI []byte

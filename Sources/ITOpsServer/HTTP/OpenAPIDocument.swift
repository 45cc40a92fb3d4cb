import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The OpenAPI 3.1 description of every REST route, served at `GET /api/v1/openapi.json`.
///
/// `docs/openapi.json` is a copy (`itops openapi > docs/openapi.json`); `OpenAPITests` keeps the two identical
/// and checks every route's real responses, errors included, against this document.
public enum OpenAPIDocument {
    /// The document, as served (and as `itops openapi` prints it).
    public static let json = ##"""
{
  "components": {
    "responses": {
      "BadRequest": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "Malformed request: not JSON, a field of the wrong type, a value outside its vocabulary."
      },
      "Conflict": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "The request conflicts with the current state."
      },
      "Forbidden": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "The credential's role is too low, or the plugin is not licensed."
      },
      "NotFound": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "Nothing at this path, or the named thing does not exist."
      },
      "PayloadTooLarge": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "The body exceeds 1 MiB."
      },
      "TooManyRequests": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "Too many attempts; retry later."
      },
      "Unauthorized": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "No credential, or an invalid, revoked or expired one."
      },
      "Unavailable": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "The database is not answering (or the server is shutting down)."
      },
      "Unprocessable": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "The request is well-formed but breaks a rule (the message names the field)."
      },
      "UnsupportedMediaType": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "The Content-Type is not accepted here."
      }
    },
    "schemas": {
      "AuthProviders": {
        "additionalProperties": false,
        "properties": {
          "providers": {
            "items": {
              "additionalProperties": false,
              "properties": {
                "id": {
                  "type": "string"
                },
                "loginUrl": {
                  "description": "Where the console sends the browser to sign in with a redirect provider (oidc); absent for local and ldap, whose users sign in with the login mutation.",
                  "type": "string"
                },
                "name": {
                  "type": "string"
                },
                "type": {
                  "enum": [
                    "local",
                    "ldap",
                    "oidc"
                  ],
                  "type": "string"
                }
              },
              "required": [
                "id",
                "type",
                "name"
              ],
              "type": "object"
            },
            "type": "array"
          },
          "success": {
            "const": true
          }
        },
        "required": [
          "success",
          "providers"
        ],
        "type": "object"
      },
      "BackupReportRequest": {
        "description": "Exactly one of service, slaGroup, namespace.",
        "properties": {
          "message": {
            "type": "string"
          },
          "namespace": {
            "type": "string"
          },
          "nodeId": {
            "type": "string"
          },
          "observedAt": {
            "description": "When the agent observed this (RFC 3339); within ITOPS_MAX_CLOCK_SKEW ahead and ITOPS_LATE_DATA_HORIZON behind the server clock. Absent: on arrival.",
            "format": "date-time",
            "type": "string"
          },
          "service": {
            "type": "string"
          },
          "sizeBytes": {
            "format": "int64",
            "type": "integer"
          },
          "slaGroup": {
            "type": "string"
          },
          "status": {
            "enum": [
              "success",
              "failed",
              "partial"
            ],
            "type": "string"
          }
        },
        "required": [
          "status"
        ],
        "type": "object"
      },
      "BackupReportResponse": {
        "additionalProperties": false,
        "properties": {
          "affected": {
            "type": "integer"
          },
          "message": {
            "type": "string"
          },
          "services": {
            "items": {
              "type": "string"
            },
            "type": "array"
          },
          "success": {
            "const": true
          }
        },
        "required": [
          "success",
          "message",
          "affected",
          "services"
        ],
        "type": "object"
      },
      "Criticality": {
        "enum": [
          "critical",
          "high",
          "medium",
          "low"
        ],
        "type": "string"
      },
      "Error": {
        "additionalProperties": false,
        "description": "The error body of every REST endpoint.",
        "properties": {
          "error": {
            "description": "what was wrong, naming the field",
            "type": "string"
          },
          "success": {
            "const": false
          }
        },
        "required": [
          "success",
          "error"
        ],
        "type": "object"
      },
      "ExclusionWindowResponse": {
        "additionalProperties": false,
        "properties": {
          "message": {
            "type": "string"
          },
          "success": {
            "const": true
          },
          "window": {
            "additionalProperties": false,
            "properties": {
              "endedAt": {
                "format": "date-time",
                "type": "string"
              },
              "endsAt": {
                "format": "date-time",
                "type": "string"
              },
              "expectedEndAt": {
                "format": "date-time",
                "type": "string"
              },
              "id": {
                "type": "string"
              },
              "nodeId": {
                "type": "string"
              },
              "reason": {
                "type": "string"
              },
              "service": {
                "type": "string"
              },
              "serviceId": {
                "type": "string"
              },
              "startedAt": {
                "format": "date-time",
                "type": "string"
              },
              "startedBy": {
                "type": "string"
              }
            },
            "required": [
              "id",
              "serviceId",
              "service",
              "nodeId",
              "startedAt",
              "endsAt"
            ],
            "type": "object"
          }
        },
        "required": [
          "success",
          "message",
          "window"
        ],
        "type": "object"
      },
      "ExclusionWindowStartRequest": {
        "properties": {
          "expectedEndAt": {
            "format": "date-time",
            "type": "string"
          },
          "nodeId": {
            "type": "string"
          },
          "reason": {
            "type": "string"
          },
          "service": {
            "type": "string"
          }
        },
        "required": [
          "service"
        ],
        "type": "object"
      },
      "ExclusionWindowStopRequest": {
        "properties": {
          "nodeId": {
            "type": "string"
          },
          "service": {
            "type": "string"
          }
        },
        "required": [
          "service"
        ],
        "type": "object"
      },
      "GraphQLRequest": {
        "properties": {
          "operationName": {
            "type": [
              "string",
              "null"
            ]
          },
          "query": {
            "type": "string"
          },
          "variables": {
            "type": [
              "object",
              "null"
            ]
          }
        },
        "required": [
          "query"
        ],
        "type": "object"
      },
      "GraphQLResponse": {
        "description": "A GraphQL response; see docs/graphql.md and docs/schema.graphql.",
        "properties": {
          "data": {
            "type": [
              "object",
              "null"
            ]
          },
          "errors": {
            "items": {
              "properties": {
                "extensions": {
                  "type": "object"
                },
                "message": {
                  "type": "string"
                }
              },
              "required": [
                "message"
              ],
              "type": "object"
            },
            "type": "array"
          }
        },
        "type": "object"
      },
      "Health": {
        "additionalProperties": false,
        "properties": {
          "status": {
            "const": "ok"
          },
          "version": {
            "type": "string"
          }
        },
        "required": [
          "status",
          "version"
        ],
        "type": "object"
      },
      "HealthReportRequest": {
        "properties": {
          "criticality": {
            "$ref": "#/components/schemas/Criticality"
          },
          "displayName": {
            "type": "string"
          },
          "expectedIntervalSeconds": {
            "type": "integer"
          },
          "message": {
            "type": "string"
          },
          "namespace": {
            "type": "string"
          },
          "nodeId": {
            "type": "string"
          },
          "observedAt": {
            "description": "When the agent observed this (RFC 3339); within ITOPS_MAX_CLOCK_SKEW ahead and ITOPS_LATE_DATA_HORIZON behind the server clock. Absent: on arrival.",
            "format": "date-time",
            "type": "string"
          },
          "service": {
            "type": "string"
          },
          "serviceType": {
            "type": "string"
          },
          "slaGroup": {
            "type": "string"
          },
          "status": {
            "$ref": "#/components/schemas/ServiceStatus"
          },
          "tags": {
            "items": {
              "type": "string"
            },
            "type": "array"
          }
        },
        "required": [
          "service",
          "status"
        ],
        "type": "object"
      },
      "HealthReportResponse": {
        "additionalProperties": false,
        "properties": {
          "created": {
            "type": "boolean"
          },
          "message": {
            "type": "string"
          },
          "nodeId": {
            "type": "string"
          },
          "serviceId": {
            "format": "uuid",
            "type": "string"
          },
          "serviceName": {
            "type": "string"
          },
          "status": {
            "$ref": "#/components/schemas/ServiceStatus"
          },
          "success": {
            "const": true
          }
        },
        "required": [
          "success",
          "message",
          "serviceId",
          "serviceName",
          "nodeId",
          "status",
          "created"
        ],
        "type": "object"
      },
      "HeartbeatRequest": {
        "properties": {
          "healthyServices": {
            "type": "integer"
          },
          "nodeId": {
            "type": "string"
          },
          "unhealthyServices": {
            "type": "integer"
          },
          "version": {
            "type": "string"
          },
          "watchedServices": {
            "type": "integer"
          }
        },
        "required": [
          "nodeId"
        ],
        "type": "object"
      },
      "LicenseActivateRequest": {
        "properties": {
          "licenseKey": {
            "type": "string"
          }
        },
        "required": [
          "licenseKey"
        ],
        "type": "object"
      },
      "LicenseActivateResponse": {
        "additionalProperties": false,
        "properties": {
          "customer": {
            "type": "string"
          },
          "message": {
            "type": "string"
          },
          "plugins": {
            "items": {
              "type": "string"
            },
            "type": "array"
          },
          "success": {
            "const": true
          }
        },
        "required": [
          "success",
          "message",
          "customer",
          "plugins"
        ],
        "type": "object"
      },
      "OperatorStatusRequest": {
        "properties": {
          "nodeId": {
            "type": "string"
          },
          "observedAt": {
            "description": "When the agent observed this (RFC 3339); within ITOPS_MAX_CLOCK_SKEW ahead and ITOPS_LATE_DATA_HORIZON behind the server clock. Absent: on arrival.",
            "format": "date-time",
            "type": "string"
          },
          "operatorVersion": {
            "type": "string"
          },
          "services": {
            "items": {
              "properties": {
                "criticality": {
                  "$ref": "#/components/schemas/Criticality"
                },
                "displayName": {
                  "type": "string"
                },
                "message": {
                  "type": "string"
                },
                "name": {
                  "type": "string"
                },
                "namespace": {
                  "type": "string"
                },
                "readyReplicas": {
                  "type": "integer"
                },
                "replicas": {
                  "type": "integer"
                },
                "serviceType": {
                  "type": "string"
                },
                "slaGroup": {
                  "type": "string"
                },
                "status": {
                  "$ref": "#/components/schemas/ServiceStatus"
                },
                "tags": {
                  "items": {
                    "type": "string"
                  },
                  "type": "array"
                },
                "workloadType": {
                  "type": "string"
                }
              },
              "required": [
                "name",
                "status"
              ],
              "type": "object"
            },
            "type": "array"
          },
          "slaGroups": {
            "items": {
              "properties": {
                "displayName": {
                  "type": "string"
                },
                "name": {
                  "type": "string"
                },
                "tier": {
                  "$ref": "#/components/schemas/Criticality"
                }
              },
              "required": [
                "name"
              ],
              "type": "object"
            },
            "type": "array"
          }
        },
        "required": [
          "nodeId",
          "services"
        ],
        "type": "object"
      },
      "PublicStatus": {
        "additionalProperties": false,
        "description": "A public status page: only the labels its admin chose, states, dates and figures.",
        "properties": {
          "description": {
            "type": [
              "string",
              "null"
            ]
          },
          "groups": {
            "items": {
              "additionalProperties": false,
              "properties": {
                "badges": {
                  "additionalProperties": false,
                  "properties": {
                    "status": {
                      "type": "string"
                    },
                    "uptime": {
                      "type": "string"
                    }
                  },
                  "required": [
                    "status",
                    "uptime"
                  ],
                  "type": "object"
                },
                "days": {
                  "items": {
                    "additionalProperties": false,
                    "properties": {
                      "date": {
                        "format": "date",
                        "type": "string"
                      },
                      "uptimePercent": {
                        "type": [
                          "number",
                          "null"
                        ]
                      }
                    },
                    "required": [
                      "date",
                      "uptimePercent"
                    ],
                    "type": "object"
                  },
                  "type": "array"
                },
                "label": {
                  "type": "string"
                },
                "services": {
                  "items": {
                    "additionalProperties": false,
                    "properties": {
                      "label": {
                        "type": "string"
                      },
                      "status": {
                        "enum": [
                          "OPERATIONAL",
                          "DEGRADED",
                          "PARTIAL_OUTAGE",
                          "MAJOR_OUTAGE",
                          "MAINTENANCE",
                          "UNKNOWN"
                        ],
                        "type": "string"
                      }
                    },
                    "required": [
                      "label",
                      "status"
                    ],
                    "type": "object"
                  },
                  "type": "array"
                },
                "slaGroup": {
                  "type": "string"
                },
                "status": {
                  "enum": [
                    "OPERATIONAL",
                    "DEGRADED",
                    "PARTIAL_OUTAGE",
                    "MAJOR_OUTAGE",
                    "MAINTENANCE",
                    "UNKNOWN"
                  ],
                  "type": "string"
                },
                "uptime90d": {
                  "type": [
                    "number",
                    "null"
                  ]
                }
              },
              "required": [
                "slaGroup",
                "label",
                "status",
                "uptime90d",
                "days",
                "services",
                "badges"
              ],
              "type": "object"
            },
            "type": "array"
          },
          "incidents": {
            "items": {
              "additionalProperties": false,
              "properties": {
                "id": {
                  "format": "uuid",
                  "type": "string"
                },
                "resolvedAt": {
                  "format": "date-time",
                  "type": [
                    "string",
                    "null"
                  ]
                },
                "startedAt": {
                  "format": "date-time",
                  "type": "string"
                },
                "where": {
                  "type": "string"
                }
              },
              "required": [
                "id",
                "where",
                "startedAt",
                "resolvedAt"
              ],
              "type": "object"
            },
            "type": "array"
          },
          "maintenance": {
            "items": {
              "additionalProperties": false,
              "properties": {
                "expectedEndAt": {
                  "format": "date-time",
                  "type": [
                    "string",
                    "null"
                  ]
                },
                "startedAt": {
                  "format": "date-time",
                  "type": "string"
                },
                "where": {
                  "type": "string"
                }
              },
              "required": [
                "where",
                "startedAt",
                "expectedEndAt"
              ],
              "type": "object"
            },
            "type": "array"
          },
          "slug": {
            "type": "string"
          },
          "status": {
            "enum": [
              "OPERATIONAL",
              "DEGRADED",
              "PARTIAL_OUTAGE",
              "MAJOR_OUTAGE",
              "MAINTENANCE",
              "UNKNOWN"
            ],
            "type": "string"
          },
          "title": {
            "type": "string"
          },
          "updatedAt": {
            "format": "date-time",
            "type": "string"
          }
        },
        "required": [
          "slug",
          "title",
          "description",
          "status",
          "updatedAt",
          "groups",
          "incidents",
          "maintenance"
        ],
        "type": "object"
      },
      "Ready": {
        "additionalProperties": false,
        "properties": {
          "status": {
            "const": "ready"
          }
        },
        "required": [
          "status"
        ],
        "type": "object"
      },
      "RegisterRequest": {
        "properties": {
          "criticality": {
            "$ref": "#/components/schemas/Criticality"
          },
          "displayName": {
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "namespace": {
            "type": "string"
          },
          "nodeId": {
            "type": "string"
          },
          "operations": {
            "properties": {
              "backup": {
                "properties": {
                  "expected": {
                    "type": "boolean"
                  },
                  "maxAgeDays": {
                    "type": "integer"
                  }
                },
                "type": "object"
              }
            },
            "type": "object"
          },
          "serviceType": {
            "type": "string"
          },
          "slaGroup": {
            "type": "string"
          },
          "tags": {
            "items": {
              "type": "string"
            },
            "type": "array"
          }
        },
        "required": [
          "name",
          "nodeId"
        ],
        "type": "object"
      },
      "RegisterResponse": {
        "additionalProperties": false,
        "properties": {
          "created": {
            "type": "boolean"
          },
          "message": {
            "type": "string"
          },
          "service": {
            "$ref": "#/components/schemas/ServiceSummary"
          },
          "success": {
            "const": true
          }
        },
        "required": [
          "success",
          "message",
          "created",
          "service"
        ],
        "type": "object"
      },
      "ReportGenerateRequest": {
        "properties": {
          "date": {
            "description": "YYYY-MM-DD (UTC); default yesterday",
            "type": "string"
          }
        },
        "type": "object"
      },
      "ReportGenerateResponse": {
        "additionalProperties": false,
        "properties": {
          "date": {
            "type": "string"
          },
          "download": {
            "additionalProperties": false,
            "properties": {
              "csv": {
                "type": "string"
              },
              "json": {
                "type": "string"
              }
            },
            "required": [
              "json",
              "csv"
            ],
            "type": "object"
          },
          "groups": {
            "type": "integer"
          },
          "message": {
            "type": "string"
          },
          "services": {
            "type": "integer"
          },
          "success": {
            "const": true
          }
        },
        "required": [
          "success",
          "message",
          "date",
          "groups",
          "services",
          "download"
        ],
        "type": "object"
      },
      "SLAReport": {
        "additionalProperties": false,
        "properties": {
          "date": {
            "type": "string"
          },
          "generatedAt": {
            "format": "date-time",
            "type": "string"
          },
          "groups": {
            "items": {
              "$ref": "#/components/schemas/SLAReportEntry"
            },
            "type": "array"
          },
          "services": {
            "items": {
              "$ref": "#/components/schemas/SLAReportEntry"
            },
            "type": "array"
          },
          "unknownPolicy": {
            "enum": [
              "exclude",
              "down"
            ],
            "type": "string"
          }
        },
        "required": [
          "date",
          "generatedAt",
          "unknownPolicy",
          "groups",
          "services"
        ],
        "type": "object"
      },
      "SLAReportEntry": {
        "additionalProperties": false,
        "properties": {
          "backupExpected": {
            "type": "boolean"
          },
          "backupOverdue": {
            "type": "boolean"
          },
          "budgetMinutes": {
            "type": "number"
          },
          "budgetRemainingMinutes": {
            "type": "number"
          },
          "degradedMinutes": {
            "type": "number"
          },
          "downtimeMinutes": {
            "type": "number"
          },
          "excludedMinutes": {
            "type": "number"
          },
          "incidents": {
            "type": "integer"
          },
          "lastBackupAt": {
            "format": "date-time",
            "type": "string"
          },
          "lastBackupStatus": {
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "nodeId": {
            "type": "string"
          },
          "scope": {
            "enum": [
              "group",
              "service"
            ],
            "type": "string"
          },
          "serviceId": {
            "type": "string"
          },
          "slaGroup": {
            "type": "string"
          },
          "status": {
            "enum": [
              "MET",
              "AT_RISK",
              "BREACHED"
            ],
            "type": "string"
          },
          "targetPercent": {
            "type": "number"
          },
          "tier": {
            "type": "string"
          },
          "unknownMinutes": {
            "type": "number"
          },
          "uptimeMinutes": {
            "type": "number"
          },
          "uptimePercent": {
            "type": "number"
          }
        },
        "required": [
          "scope",
          "name",
          "uptimePercent",
          "uptimeMinutes",
          "downtimeMinutes",
          "degradedMinutes",
          "unknownMinutes",
          "excludedMinutes",
          "incidents",
          "backupExpected",
          "backupOverdue"
        ],
        "type": "object"
      },
      "ServiceStatus": {
        "enum": [
          "OPERATIONAL",
          "DEGRADED",
          "DOWN",
          "MAINTENANCE",
          "UNKNOWN"
        ],
        "type": "string"
      },
      "ServiceSummary": {
        "additionalProperties": false,
        "properties": {
          "criticality": {
            "$ref": "#/components/schemas/Criticality"
          },
          "displayName": {
            "type": "string"
          },
          "id": {
            "format": "uuid",
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "namespace": {
            "type": "string"
          },
          "nodeId": {
            "type": "string"
          },
          "operations": {
            "additionalProperties": false,
            "properties": {
              "backup": {
                "additionalProperties": false,
                "properties": {
                  "expected": {
                    "type": "boolean"
                  },
                  "maxAgeDays": {
                    "type": "integer"
                  }
                },
                "required": [
                  "expected",
                  "maxAgeDays"
                ],
                "type": "object"
              }
            },
            "required": [
              "backup"
            ],
            "type": "object"
          },
          "serviceType": {
            "type": "string"
          },
          "slaGroup": {
            "type": "string"
          },
          "status": {
            "$ref": "#/components/schemas/ServiceStatus"
          },
          "tags": {
            "items": {
              "type": "string"
            },
            "type": "array"
          }
        },
        "required": [
          "id",
          "name",
          "nodeId",
          "status",
          "tags",
          "operations"
        ],
        "type": "object"
      },
      "ServicesResponse": {
        "additionalProperties": false,
        "properties": {
          "nodeId": {
            "type": "string"
          },
          "services": {
            "items": {
              "$ref": "#/components/schemas/ServiceSummary"
            },
            "type": "array"
          },
          "success": {
            "const": true
          }
        },
        "required": [
          "success",
          "nodeId",
          "services"
        ],
        "type": "object"
      },
      "StorageReportRequest": {
        "properties": {
          "allocatedBytes": {
            "format": "int64",
            "type": "integer"
          },
          "mountPath": {
            "type": "string"
          },
          "nodeId": {
            "type": "string"
          },
          "observedAt": {
            "description": "When the agent observed this (RFC 3339); within ITOPS_MAX_CLOCK_SKEW ahead and ITOPS_LATE_DATA_HORIZON behind the server clock. Absent: on arrival.",
            "format": "date-time",
            "type": "string"
          },
          "service": {
            "type": "string"
          },
          "storageType": {
            "type": "string"
          },
          "usedBytes": {
            "format": "int64",
            "type": "integer"
          }
        },
        "required": [
          "service",
          "allocatedBytes",
          "usedBytes"
        ],
        "type": "object"
      },
      "StorageReportResponse": {
        "additionalProperties": false,
        "properties": {
          "freePercent": {
            "type": "integer"
          },
          "serviceName": {
            "type": "string"
          },
          "status": {
            "enum": [
              "healthy",
              "warning",
              "critical"
            ],
            "type": "string"
          },
          "success": {
            "const": true
          }
        },
        "required": [
          "success",
          "serviceName",
          "freePercent",
          "status"
        ],
        "type": "object"
      },
      "Success": {
        "additionalProperties": false,
        "properties": {
          "message": {
            "type": "string"
          },
          "success": {
            "const": true
          }
        },
        "required": [
          "success",
          "message"
        ],
        "type": "object"
      },
      "SyncResponse": {
        "additionalProperties": false,
        "properties": {
          "created": {
            "type": "integer"
          },
          "markedUnknown": {
            "type": "integer"
          },
          "message": {
            "type": "string"
          },
          "success": {
            "const": true
          },
          "updated": {
            "type": "integer"
          }
        },
        "required": [
          "success",
          "message",
          "created",
          "updated",
          "markedUnknown"
        ],
        "type": "object"
      },
      "TemplateImportJSON": {
        "properties": {
          "dryRun": {
            "type": "boolean"
          },
          "yaml": {
            "type": "string"
          }
        },
        "required": [
          "yaml"
        ],
        "type": "object"
      },
      "TemplateImportResponse": {
        "additionalProperties": false,
        "properties": {
          "changes": {
            "items": {
              "additionalProperties": false,
              "properties": {
                "kind": {
                  "enum": [
                    "workflows",
                    "serviceCatalog",
                    "slaDefinitions",
                    "notificationChannels",
                    "notificationRules"
                  ],
                  "type": "string"
                },
                "name": {
                  "type": "string"
                },
                "outcome": {
                  "enum": [
                    "created",
                    "updated",
                    "unchanged"
                  ],
                  "type": "string"
                }
              },
              "required": [
                "kind",
                "name",
                "outcome"
              ],
              "type": "object"
            },
            "type": "array"
          },
          "created": {
            "type": "integer"
          },
          "dryRun": {
            "type": "boolean"
          },
          "success": {
            "const": true
          },
          "unchanged": {
            "type": "integer"
          },
          "updated": {
            "type": "integer"
          }
        },
        "required": [
          "success",
          "dryRun",
          "created",
          "updated",
          "unchanged",
          "changes"
        ],
        "type": "object"
      }
    },
    "securitySchemes": {
      "apiKey": {
        "description": "An API key (operator or admin role).",
        "in": "header",
        "name": "X-API-Key",
        "type": "apiKey"
      },
      "bearer": {
        "description": "An API key or a JWT from the GraphQL login mutation.",
        "scheme": "bearer",
        "type": "http"
      }
    }
  },
  "info": {
    "description": "The REST side of ITOps: agent and webhook API, probes, SLA, templates, licensing. Every error is `{\"success\": false, \"error\": \"…\"}` naming the field. Most of ITOps is GraphQL (docs/schema.graphql).",
    "title": "ITOps REST API",
    "version": "0.1.0"
  },
  "openapi": "3.1.0",
  "paths": {
    "/api/v1/auth/oidc/callback": {
      "get": {
        "description": "Where the provider sends the browser back (`code`, `state`, or `error`). Finishes the flow (single-use state, token exchange, ID token checked against the JWKS: signature, iss, aud, exp, nonce) and redirects to the console with `#signin-code=<one-time code>` in the URL fragment, which the console exchanges with the GraphQL mutation exchangeSignInCode within 60 s; any failure redirects with `#signin-error=<reason>`.",
        "operationId": "getOIDCCallback",
        "parameters": [
          {
            "in": "query",
            "name": "code",
            "required": false,
            "schema": {
              "type": "string"
            }
          },
          {
            "in": "query",
            "name": "state",
            "required": false,
            "schema": {
              "type": "string"
            }
          },
          {
            "in": "query",
            "name": "error",
            "required": false,
            "schema": {
              "type": "string"
            }
          },
          {
            "in": "query",
            "name": "error_description",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "302": {
            "description": "To the console with #signin-code=… or #signin-error=…",
            "headers": {
              "Location": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "404": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            },
            "description": "OIDC sign-in is not configured."
          }
        },
        "security": [],
        "summary": "OIDC sign-in: the provider's redirect back.",
        "tags": [
          "auth"
        ]
      }
    },
    "/api/v1/auth/oidc/login": {
      "get": {
        "description": "Starts an OpenID Connect sign-in: stores state, nonce and PKCE verifier and redirects the browser to the provider's authorization endpoint. When the provider cannot be reached it redirects to the console with `#signin-error=<reason>` instead. See docs/auth.md.",
        "operationId": "getOIDCLogin",
        "responses": {
          "302": {
            "description": "To the provider, or to the console with #signin-error=…",
            "headers": {
              "Location": {
                "schema": {
                  "type": "string"
                }
              }
            }
          },
          "404": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            },
            "description": "OIDC sign-in is not configured."
          }
        },
        "security": [],
        "summary": "OIDC sign-in: redirect to the provider.",
        "tags": [
          "auth"
        ]
      }
    },
    "/api/v1/auth/providers": {
      "get": {
        "operationId": "getAuthProviders",
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/AuthProviders"
                }
              }
            },
            "description": "The providers."
          }
        },
        "security": [],
        "summary": "Sign-in providers.",
        "tags": [
          "auth"
        ]
      }
    },
    "/api/v1/backup/report": {
      "post": {
        "operationId": "postBackupReport",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/BackupReportRequest"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/BackupReportResponse"
                }
              }
            },
            "description": "Recorded."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Backup webhook: one service, a group or a namespace.",
        "tags": [
          "agent"
        ]
      }
    },
    "/api/v1/badges/{group}/{badge}": {
      "get": {
        "operationId": "getBadge",
        "parameters": [
          {
            "description": "An SLA group shown on a public status page.",
            "in": "path",
            "name": "group",
            "required": true,
            "schema": {
              "type": "string"
            }
          },
          {
            "description": "`status.svg` or `uptime.svg`.",
            "in": "path",
            "name": "badge",
            "required": true,
            "schema": {
              "enum": [
                "status.svg",
                "uptime.svg"
              ],
              "type": "string"
            }
          },
          {
            "description": "For `uptime.svg`: whole UTC days ending today, default `30d`.",
            "in": "query",
            "name": "period",
            "required": false,
            "schema": {
              "enum": [
                "1d",
                "7d",
                "30d",
                "90d"
              ],
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "content": {
              "image/svg+xml": {
                "schema": {
                  "type": "string"
                }
              }
            },
            "description": "The badge (cached for ITOPS_STATUS_PAGE_TTL; ETag)."
          },
          "304": {
            "description": "The client's copy (If-None-Match) is current."
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [],
        "summary": "An SVG badge of a public SLA group: its state, or its uptime over a period.",
        "tags": [
          "status-pages"
        ]
      }
    },
    "/api/v1/health/report": {
      "post": {
        "operationId": "postHealthReport",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/HealthReportRequest"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HealthReportResponse"
                }
              }
            },
            "description": "Recorded."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Push a service's health.",
        "tags": [
          "agent"
        ]
      }
    },
    "/api/v1/license/activate": {
      "post": {
        "operationId": "postLicenseActivate",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/LicenseActivateRequest"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/LicenseActivateResponse"
                }
              }
            },
            "description": "Activated."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Activate a license (admin).",
        "tags": [
          "license"
        ]
      }
    },
    "/api/v1/openapi.json": {
      "get": {
        "operationId": "getOpenAPI",
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            },
            "description": "The OpenAPI 3.1 document."
          }
        },
        "security": [],
        "summary": "This document.",
        "tags": [
          "system"
        ]
      }
    },
    "/api/v1/operator/heartbeat": {
      "post": {
        "operationId": "postOperatorHeartbeat",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/HeartbeatRequest"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Success"
                }
              }
            },
            "description": "Recorded."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Agent heartbeat.",
        "tags": [
          "agent"
        ]
      }
    },
    "/api/v1/operator/register": {
      "post": {
        "operationId": "postOperatorRegister",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RegisterRequest"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RegisterResponse"
                }
              }
            },
            "description": "Updated."
          },
          "201": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RegisterResponse"
                }
              }
            },
            "description": "Registered."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Register (or update) one service.",
        "tags": [
          "agent"
        ]
      }
    },
    "/api/v1/operator/services": {
      "get": {
        "operationId": "getOperatorServices",
        "parameters": [
          {
            "in": "query",
            "name": "nodeId",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ServicesResponse"
                }
              }
            },
            "description": "The services."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Registered services, optionally of one node.",
        "tags": [
          "agent"
        ]
      }
    },
    "/api/v1/operator/status": {
      "post": {
        "operationId": "postOperatorStatus",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/OperatorStatusRequest"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SyncResponse"
                }
              }
            },
            "description": "Synced."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Full status sync from an agent.",
        "tags": [
          "agent"
        ]
      }
    },
    "/api/v1/sla/exclusion-window/start": {
      "post": {
        "operationId": "postExclusionWindowStart",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ExclusionWindowStartRequest"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ExclusionWindowResponse"
                }
              }
            },
            "description": "A window was already active."
          },
          "201": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ExclusionWindowResponse"
                }
              }
            },
            "description": "Started."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Start a maintenance (exclusion) window.",
        "tags": [
          "sla"
        ]
      }
    },
    "/api/v1/sla/exclusion-window/stop": {
      "post": {
        "operationId": "postExclusionWindowStop",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ExclusionWindowStopRequest"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ExclusionWindowResponse"
                }
              }
            },
            "description": "Stopped."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Stop the active exclusion window.",
        "tags": [
          "sla"
        ]
      }
    },
    "/api/v1/sla/report/generate": {
      "post": {
        "operationId": "postReportGenerate",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ReportGenerateRequest"
              }
            }
          },
          "required": false
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ReportGenerateResponse"
                }
              }
            },
            "description": "Generated."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Generate (or regenerate) the daily SLA report.",
        "tags": [
          "sla"
        ]
      }
    },
    "/api/v1/sla/reports/{date}": {
      "get": {
        "operationId": "getReport",
        "parameters": [
          {
            "description": "`YYYY-MM-DD`, optionally with `.json` or `.csv`.",
            "in": "path",
            "name": "date",
            "required": true,
            "schema": {
              "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}(\\.json|\\.csv)?$",
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SLAReport"
                }
              },
              "text/csv": {
                "schema": {
                  "type": "string"
                }
              }
            },
            "description": "The report: JSON, or CSV for `.csv` or `Accept: text/csv`."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Download a daily SLA report.",
        "tags": [
          "sla"
        ]
      }
    },
    "/api/v1/storage/report": {
      "post": {
        "operationId": "postStorageReport",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/StorageReportRequest"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/StorageReportResponse"
                }
              }
            },
            "description": "Recorded."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Push a volume's usage.",
        "tags": [
          "agent"
        ]
      }
    },
    "/api/v1/templates/export": {
      "get": {
        "operationId": "getTemplatesExport",
        "parameters": [
          {
            "description": "Comma-separated: workflows, serviceCatalog, slaDefinitions, notificationChannels, notificationRules.",
            "in": "query",
            "name": "kinds",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/yaml": {
                "schema": {
                  "type": "string"
                }
              }
            },
            "description": "The templates."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Export templates as YAML (admin).",
        "tags": [
          "templates"
        ]
      }
    },
    "/api/v1/templates/import": {
      "post": {
        "operationId": "postTemplatesImport",
        "parameters": [
          {
            "in": "query",
            "name": "dryRun",
            "required": false,
            "schema": {
              "type": "boolean"
            }
          }
        ],
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/TemplateImportJSON"
              }
            },
            "application/yaml": {
              "schema": {
                "type": "string"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/TemplateImportResponse"
                }
              }
            },
            "description": "Imported (or, with dryRun, what would change)."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/PayloadTooLarge"
          },
          "415": {
            "$ref": "#/components/responses/UnsupportedMediaType"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [
          {
            "apiKey": []
          },
          {
            "bearer": []
          }
        ],
        "summary": "Import templates (admin).",
        "tags": [
          "templates"
        ]
      }
    },
    "/graphql": {
      "post": {
        "description": "Credentials are optional here: each field decides what it needs (see docs/graphql.md).",
        "operationId": "postGraphQL",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/GraphQLRequest"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GraphQLResponse"
                }
              }
            },
            "description": "A GraphQL result (field errors included)."
          },
          "400": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GraphQLResponse"
                }
              }
            },
            "description": "Not a GraphQL request, or a document that does not validate."
          },
          "413": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GraphQLResponse"
                }
              }
            },
            "description": "The document is too large."
          },
          "415": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GraphQLResponse"
                }
              }
            },
            "description": "The Content-Type is not application/json."
          },
          "429": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GraphQLResponse"
                }
              }
            },
            "description": "Rate limited (Retry-After says when to retry)."
          }
        },
        "security": [
          {},
          {
            "bearer": []
          },
          {
            "apiKey": []
          }
        ],
        "summary": "GraphQL over HTTP (queries and mutations).",
        "tags": [
          "graphql"
        ]
      }
    },
    "/health": {
      "get": {
        "operationId": "getHealth",
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                }
              }
            },
            "description": "Alive."
          }
        },
        "security": [],
        "summary": "Liveness: the process answers.",
        "tags": [
          "system"
        ]
      }
    },
    "/metrics": {
      "get": {
        "operationId": "getMetrics",
        "responses": {
          "200": {
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            },
            "description": "Metrics."
          }
        },
        "security": [],
        "summary": "Prometheus metrics (text exposition format).",
        "tags": [
          "system"
        ]
      }
    },
    "/ready": {
      "get": {
        "operationId": "getReady",
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Ready"
                }
              }
            },
            "description": "Ready."
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [],
        "summary": "Readiness: the database answers.",
        "tags": [
          "system"
        ]
      }
    },
    "/status/{page}": {
      "get": {
        "operationId": "getStatusPage",
        "parameters": [
          {
            "description": "`{slug}` (HTML), `{slug}.json` or `{slug}.atom`.",
            "in": "path",
            "name": "page",
            "required": true,
            "schema": {
              "pattern": "^[a-z0-9][a-z0-9-]{0,62}(\\.json|\\.atom)?$",
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/atom+xml": {
                "schema": {
                  "type": "string"
                }
              },
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PublicStatus"
                }
              },
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            },
            "description": "The page (works without JavaScript), its JSON for embedding, or its Atom feed of incidents."
          },
          "304": {
            "description": "The client's copy (If-None-Match) is current."
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        },
        "security": [],
        "summary": "A public status page (no authentication).",
        "tags": [
          "status-pages"
        ]
      }
    }
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "tags": [
    {
      "name": "system"
    },
    {
      "name": "agent"
    },
    {
      "name": "auth"
    },
    {
      "name": "license"
    },
    {
      "name": "sla"
    },
    {
      "name": "templates"
    },
    {
      "name": "status-pages"
    },
    {
      "name": "graphql"
    }
  ]
}
"""##

    /// `GET /api/v1/openapi.json` (no credentials needed).
    static func add(to router: Router<AppRequestContext>) {
        router.get("api/v1/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json + "\n")))
        }
    }
}

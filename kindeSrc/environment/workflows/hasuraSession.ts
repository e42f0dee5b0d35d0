// The Hasura session that Kinde's workflows write into tokens: the claims `kindeClaims: namespace`
// expects (core/jwt-policy.ts; a test keeps the two equal). Kinde's runtime has no Node APIs
// and runs each module's top level at sync time, so this file only declares values.
// Not named *Workflow.ts: Kinde treats every such file under workflows/ as a workflow.

export const HASURA_CLAIMS_NAMESPACE = "https://hasura.io/jwt/claims";

/** The API audience registered in Kinde for Hasura; the same as the stacks' kindeAudience. */
export const HASURA_AUDIENCE = "hasura";

export interface HasuraSession {
  "x-hasura-user-id": string;
  "x-hasura-default-role": string;
  "x-hasura-allowed-roles": string[];
}

export function hasuraSession(userId: string): HasuraSession {
  return {
    "x-hasura-user-id": userId,
    "x-hasura-default-role": "user",
    "x-hasura-allowed-roles": ["user"],
  };
}

// The policy pack: `pulumi preview --policy-pack infra/policy`. Constructing a PolicyPack starts its
// gRPC server, so the policies themselves live in policies.ts, which tests import directly.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("kinde-hasura", { enforcementLevel: "mandatory", policies });

// What a frontend writes against projects' generated client (openapi-typescript types,
// openapi-fetch calls): an application drafted, submitted and approved (REGULATIONS §2), each
// command sending back the version the previous one returned. It is type-checked, not run:
// a renamed operation, a changed body or a missing status breaks the compile.
import createClient from "openapi-fetch";
import type { operations, paths } from "./generated/projects";

type Body<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : never;
type Accepted = operations["draftApplication"]["responses"][201]["content"]["application/json"];
type Approved = operations["approveApplication"]["responses"][200]["content"]["application/json"];
type Problem = operations["approveApplication"]["responses"][409]["content"]["application/problem+json"];

function version(accepted: Accepted | Approved): string {
  return `"${accepted.version}"`;
}

function refused(problem: Problem): Error {
  return new Error(`${problem.status} ${problem.title}: ${problem.detail ?? ""}`);
}

export async function draftSubmitApprove(
  baseUrl: string,
  employee: string,
  management: string,
): Promise<Approved> {
  const projects = createClient<paths>({ baseUrl });
  const draft: Body<"draftApplication"> = {
    title: "Cold-chain monitoring for Lianhua",
    background: "Spoilage in transit costs the customer 4% of its fresh goods",
    target_customers: "Supermarket chains in East China",
    expected_revenue: { amount: "1200000.00", currency: "CNY" },
    preliminary_plan: "Pilot in two distribution centres, then roll out",
  };
  const drafted = await projects.POST("/applications", {
    body: draft,
    headers: { Authorization: `Bearer ${employee}` },
  });
  if (drafted.error) throw refused(drafted.error);
  const path = { application_id: drafted.data.id };

  const submitted = await projects.POST("/applications/{application_id}/submit", {
    params: { path, header: { "if-match": version(drafted.data) } },
    headers: { Authorization: `Bearer ${employee}` },
  });
  if (submitted.error) throw refused(submitted.error);

  const assessment: Body<"approveApplication"> = {
    strategic_fit: "Extends our logistics offer to fresh food",
    market_outlook: "Cold-chain spending grows with online grocery",
    economic_benefit: "Recurring monitoring fees after the pilot",
  };
  const approved = await projects.POST("/applications/{application_id}/approve", {
    params: { path, header: { "if-match": version(submitted.data) } },
    body: assessment,
    headers: { Authorization: `Bearer ${management}` },
  });
  if (approved.error) throw refused(approved.error);
  return approved.data; // with the project its approval opened
}

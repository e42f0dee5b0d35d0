// The labels every Kubernetes object of a stack carries: which app, which stack, whether production
// (the policy pack reads `kinde-hasura.production`, as it does on the Docker target's containers).

export function kubernetesLabels(namespace: string, production: boolean): Record<string, string> {
  return { "app.kubernetes.io/part-of": "kinde-hasura", "app.kubernetes.io/instance": namespace, "kinde-hasura.production": String(production) };
}

/** The labels that select one component's pods; a subset of the pod template's labels. */
export function selectorLabels(namespace: string, component: string): Record<string, string> {
  return { "app.kubernetes.io/name": component, "app.kubernetes.io/instance": namespace };
}

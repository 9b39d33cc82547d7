/**
 * The lag autoscaler (operator/): ServiceAccount, a namespaced Role with exactly the verbs it uses, its
 * Kafka user (Describe only), and a Deployment of two replicas of which one leads through a Lease.
 * The CRD itself is a separate construct ({@link AutoscalerCrd}) so it can be applied before anything that
 * creates ConsumerAutoscalers.
 *
 * @module
 */
import { ApiObject } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { consumerAutoscalerCrd, GROUP, PLURAL } from "../../operator/crd.ts";
import { denoDeployment, onePodAtATimeBudget, type ResourceSpec, unitLabels } from "./deno_service.ts";
import type { KafkaEndpoint } from "./kafka_cluster.ts";
import { ServiceUser } from "./service_user.ts";

/** The ConsumerAutoscaler CustomResourceDefinition exactly as operator/crd.ts defines it. */
export class AutoscalerCrd extends Construct {
  readonly crd: ApiObject;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { apiVersion, kind, metadata, spec } = consumerAutoscalerCrd;
    this.crd = new ApiObject(this, "crd", { apiVersion, kind, metadata: structuredClone(metadata), spec });
  }
}

/** Props of {@link LagOperator}. */
export interface LagOperatorProps {
  /** Base name of every object. Default `kafka-edge-operator`. */
  readonly name?: string;
  readonly image: string;
  readonly imagePullPolicy: "IfNotPresent" | "Always";
  readonly kafka: KafkaEndpoint;
  /** Topics and groups whose lag it reads: its Kafka user gets Describe on exactly these. */
  readonly topics: readonly string[];
  readonly groups: readonly string[];
  /** Replicas; more than one gives a warm standby behind the Lease. Default 2. */
  readonly replicas?: number;
  /** Default: 50m/500m CPU, 128/256 MiB. */
  readonly resources?: ResourceSpec;
}

const PORT = 8081;

/** The operator Deployment with its RBAC and Kafka identity. */
export class LagOperator extends Construct {
  readonly deployment: kplus.Deployment;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly user: ServiceUser;
  readonly role: ApiObject;

  constructor(scope: Construct, id: string, props: LagOperatorProps) {
    super(scope, id);
    const name = props.name ?? "kafka-edge-operator";
    const labels = unitLabels(name, "operator");
    this.user = new ServiceUser(this, "kafka-user", {
      name,
      clusterName: props.kafka.clusterName,
      role: { kind: "lag-reader", topics: props.topics, groups: props.groups },
      usernameSecret: true,
    });
    this.serviceAccount = new kplus.ServiceAccount(this, "service-account", {
      metadata: { name, labels },
      automountToken: true,
    });

    // Namespaced, not a ClusterRole: the operator serves only its own namespace (NAMESPACE below).
    this.role = new kplus.k8s.KubeRole(this, "role", {
      metadata: { name, labels },
      rules: [
        { apiGroups: [GROUP], resources: [PLURAL], verbs: ["get", "list", "watch"] },
        { apiGroups: [GROUP], resources: [`${PLURAL}/status`], verbs: ["get", "update", "patch"] },
        // The scale subresource only: the operator never edits a Deployment's pod template.
        { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update", "patch"] },
        { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
        // Kafka credentials and CA referenced by ConsumerAutoscalers; resourceNames keeps it to those.
        {
          apiGroups: [""],
          resources: ["secrets"],
          verbs: ["get"],
          resourceNames: [this.user.username, this.user.usernameSecretName!, props.kafka.caSecretName],
        },
        { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
        // create cannot be limited by name (the object does not exist yet); get/update can.
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        {
          apiGroups: ["coordination.k8s.io"],
          resources: ["leases"],
          verbs: ["get", "update", "patch"],
          resourceNames: [name],
        },
      ],
    });
    new kplus.k8s.KubeRoleBinding(this, "role-binding", {
      metadata: { name, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: this.role.name },
      subjects: [{ kind: "ServiceAccount", name: this.serviceAccount.name }],
    });

    this.deployment = denoDeployment(this, "deployment", {
      name,
      component: "operator",
      image: props.image,
      imagePullPolicy: props.imagePullPolicy,
      port: PORT,
      replicas: props.replicas ?? 2,
      serviceAccount: this.serviceAccount,
      env: {
        NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        LEASE_NAME: kplus.EnvValue.fromValue(name),
        PORT: kplus.EnvValue.fromValue(String(PORT)),
      },
      resources: props.resources ??
        { cpuRequestMillis: 50, cpuLimitMillis: 500, memoryRequestMib: 128, memoryLimitMib: 256 },
    });
    onePodAtATimeBudget(this, "pdb", this.deployment);
  }
}

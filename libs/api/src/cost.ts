import {
  ASTVisitor,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLError,
  Kind,
  SelectionSetNode,
  ValidationContext,
  ValueNode,
} from 'graphql';

/** How many items a list field returns at most, for the cost estimate (`first` where it has one). */
const LIST_SIZES: Readonly<Record<string, number>> = {
  calls: 50,
  edges: 1, // counted by `calls`
  legs: 10,
  events: 30,
  queueStats: 200,
  agentStats: 200,
  agentTimeline: 200,
  extensions: 200,
  reconciliationItems: 50,
  exportRuns: 50,
  exportSchedules: 100,
};

function argumentValue(node: ValueNode | undefined, variables: Record<string, unknown>): unknown {
  if (!node) return undefined;
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  return undefined;
}

/**
 * A query-cost rule: every field costs 1, times the sizes of the lists it is nested in (a list's
 * `first` argument when given, else its typical size). Rejects an operation above `max` before
 * anything runs, with the estimate and the limit in the message.
 */
export function costRule(max: number, variables: Record<string, unknown> = {}) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions)
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

    const cost = (set: SelectionSetNode | undefined, seen: ReadonlySet<string>): number => {
      if (!set) return 0;
      let total = 0;
      for (const s of set.selections) {
        if (s.kind === Kind.FIELD) total += fieldCost(s, seen);
        else if (s.kind === Kind.INLINE_FRAGMENT) total += cost(s.selectionSet, seen);
        else if (!seen.has(s.name.value)) {
          total += cost(fragments.get(s.name.value)?.selectionSet, new Set([...seen, s.name.value]));
        }
      }
      return total;
    };
    const fieldCost = (field: FieldNode, seen: ReadonlySet<string>): number => {
      const name = field.name.value;
      const first = argumentValue(field.arguments?.find((a) => a.name.value === 'first')?.value, variables);
      const size = typeof first === 'number' && first > 0 ? first : (LIST_SIZES[name] ?? 1);
      return 1 + size * cost(field.selectionSet, seen);
    };

    return {
      OperationDefinition(node) {
        const estimate = cost(node.selectionSet, new Set());
        if (estimate > max) {
          context.reportError(
            new GraphQLError(`query cost ${estimate} exceeds the limit of ${max}: ask for fewer items or fields`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COSTLY', cost: estimate, limit: max },
            }),
          );
        }
      },
    };
  };
}

import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType, InputType } from '@nestjs/graphql';
import { GRANULARITIES } from '@app/reporting';

/** GraphQL models (CONTRACT.md); separate from the read-model rows they are mapped from. */

export enum Direction {
  INBOUND = 'INBOUND',
  OUTBOUND = 'OUTBOUND',
  INTERNAL = 'INTERNAL',
  TRANSIT = 'TRANSIT',
  UNKNOWN = 'UNKNOWN',
}
export enum Disposition {
  ANSWERED = 'ANSWERED',
  NO_ANSWER = 'NO_ANSWER',
  BUSY = 'BUSY',
  FAILED = 'FAILED',
  ABANDONED = 'ABANDONED',
  VOICEMAIL = 'VOICEMAIL',
}
export enum CallStatus {
  IN_PROGRESS = 'IN_PROGRESS',
  COMPLETED = 'COMPLETED',
}
export enum SegmentLayer {
  REGISTRATION = 'REGISTRATION',
  PRESENCE = 'PRESENCE',
  AGENT_STATE = 'AGENT_STATE',
  CALL = 'CALL',
}
export const Granularity = Object.fromEntries(GRANULARITIES.map((g) => [g, g])) as {
  [K in (typeof GRANULARITIES)[number]]: K;
};
export type Granularity = (typeof GRANULARITIES)[number];

registerEnumType(Direction, { name: 'Direction' });
registerEnumType(Disposition, { name: 'Disposition' });
registerEnumType(CallStatus, { name: 'CallStatus' });
registerEnumType(SegmentLayer, { name: 'SegmentLayer' });
registerEnumType(Granularity, { name: 'Granularity' });

@InputType()
export class CallFilter {
  @Field(() => GraphQLISODateTime, { nullable: true }) from?: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) to?: Date;
  @Field(() => Direction, { nullable: true }) direction?: Direction;
  @Field(() => Disposition, { nullable: true }) disposition?: Disposition;
  @Field({ nullable: true }) queue?: string;
  @Field({ nullable: true }) agent?: string;
  @Field({ nullable: true }) number?: string;
  @Field(() => ID, { nullable: true }) sourceId?: string;
  @Field(() => CallStatus, { nullable: true }) status?: CallStatus;
}

@ObjectType()
export class CallLeg {
  @Field() destination!: string;
  @Field() kind!: string;
  @Field(() => String, { nullable: true }) status!: string | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) startedAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) answeredAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) endedAt!: Date | null;
  @Field(() => Int, { nullable: true }) ringSeconds!: number | null;
  @Field(() => Int, { nullable: true }) talkSeconds!: number | null;
  @Field(() => String, { nullable: true }) endReason!: string | null;
}

@ObjectType()
export class StoredEvent {
  @Field() position!: string;
  @Field() type!: string;
  @Field(() => GraphQLISODateTime, { nullable: true }) occurredAt!: Date | null;
  @Field(() => GraphQLISODateTime) receivedAt!: Date;
  @Field({ description: 'The delivery exactly as received (UTF-8 text).' }) payload!: string;
}

@ObjectType()
export class Call {
  @Field(() => ID) id!: string;
  @Field() vendor!: string;
  @Field(() => ID) sourceId!: string;
  @Field() vendorCallId!: string;
  @Field(() => String, { nullable: true }) sessionId!: string | null;
  @Field(() => Direction) direction!: Direction;
  @Field(() => CallStatus) status!: CallStatus;
  @Field(() => Disposition, { nullable: true }) disposition!: Disposition | null;
  @Field(() => String, { nullable: true }) callerNumber!: string | null;
  @Field(() => String, { nullable: true }) callerName!: string | null;
  @Field(() => String, { nullable: true }) calleeNumber!: string | null;
  @Field(() => String, { nullable: true }) didNumber!: string | null;
  @Field(() => String, { nullable: true }) answeredBy!: string | null;
  @Field(() => String, { nullable: true }) queue!: string | null;
  @Field(() => String, { nullable: true }) ringGroup!: string | null;
  @Field(() => String, { nullable: true }) trunk!: string | null;
  @Field(() => String, { nullable: true }) endReason!: string | null;
  @Field(() => String, { nullable: true }) digits!: string | null;
  @Field(() => GraphQLISODateTime) startedAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) answeredAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) endedAt!: Date | null;
  @Field(() => Int, { nullable: true }) ringSeconds!: number | null;
  @Field(() => Int, { nullable: true }) talkSeconds!: number | null;
  @Field(() => Int, { nullable: true }) holdSeconds!: number | null;
  @Field(() => Int, { nullable: true }) durationSeconds!: number | null;
  @Field(() => Int, { nullable: true }) billableSeconds!: number | null;
  @Field(() => String, { nullable: true, description: 'Decimal string, e.g. "0.0533".' }) cost!: string | null;
  @Field(() => String, { nullable: true }) currency!: string | null;
  @Field(() => String, { nullable: true }) ratePrefix!: string | null;
  @Field(() => String, { nullable: true }) carrier!: string | null;
  @Field(() => [CallLeg]) legs!: CallLeg[];
  @Field(() => [StoredEvent]) events!: StoredEvent[];
}

@ObjectType()
export class CallEdge {
  @Field() cursor!: string;
  @Field(() => Call) node!: Call;
}

@ObjectType()
export class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
export class CallConnection {
  @Field(() => [CallEdge]) edges!: CallEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int) totalCount!: number;
}

@ObjectType()
export class QueueIntervalStats {
  @Field() queue!: string;
  @Field(() => GraphQLISODateTime) intervalStart!: Date;
  @Field(() => Int) offered!: number;
  @Field(() => Int) answered!: number;
  @Field(() => Int) answeredWithinSla!: number;
  @Field(() => Int) abandoned!: number;
  @Field(() => Int) shortAbandoned!: number;
  @Field(() => Int) timedOut!: number;
  @Field(() => Int) callbacks!: number;
  @Field(() => Float, { nullable: true }) serviceLevel!: number | null;
  @Field(() => Float, { nullable: true }) abandonRate!: number | null;
  @Field(() => Float, { nullable: true }) averageWaitSeconds!: number | null;
  @Field(() => Int, { nullable: true }) maxWaitSeconds!: number | null;
  @Field(() => Float, { nullable: true }) averageAbandonWaitSeconds!: number | null;
  @Field(() => Float, { nullable: true }) averageTalkSeconds!: number | null;
  @Field(() => Float, { nullable: true }) averageHandleSeconds!: number | null;
}

@ObjectType()
export class AgentIntervalStats {
  @Field() agent!: string;
  @Field(() => GraphQLISODateTime) intervalStart!: Date;
  @Field(() => Int) loggedInSeconds!: number;
  @Field(() => Int) readySeconds!: number;
  @Field(() => Int) notReadySeconds!: number;
  @Field(() => Int) wrapUpSeconds!: number;
  @Field(() => Int) ringSeconds!: number;
  @Field(() => Int) talkSeconds!: number;
  @Field(() => Int) holdSeconds!: number;
  @Field(() => Int) callsAnswered!: number;
  @Field(() => Int) callsMissed!: number;
  @Field(() => Float, { nullable: true }) occupancy!: number | null;
}

@ObjectType()
export class AgentSegment {
  @Field() agent!: string;
  @Field(() => SegmentLayer) layer!: SegmentLayer;
  @Field() state!: string;
  @Field(() => String, { nullable: true }) queue!: string | null;
  @Field(() => ID, { nullable: true }) callId!: string | null;
  @Field(() => GraphQLISODateTime) startedAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) endedAt!: Date | null;
}

@ObjectType()
export class Extension {
  @Field() number!: string;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field() online!: boolean;
  @Field(() => String, { nullable: true }) presence!: string | null;
  @Field(() => String, { nullable: true }) callStatus!: string | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) lastSeenAt!: Date | null;
  @Field(() => String, { nullable: true }) userAgent!: string | null;
  @Field(() => String, { nullable: true }) ip!: string | null;
}

export enum RunStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
export enum ReconciliationStatus {
  MATCHED = 'MATCHED',
  DURATION_MISMATCH = 'DURATION_MISMATCH',
  COST_MISMATCH = 'COST_MISMATCH',
  MISSING_IN_CARRIER = 'MISSING_IN_CARRIER',
  MISSING_IN_OURS = 'MISSING_IN_OURS',
}
registerEnumType(RunStatus, { name: 'RunStatus' });
registerEnumType(ReconciliationStatus, { name: 'ReconciliationStatus' });

const MONEY = 'Decimal string (exact), e.g. "0.0533".';

@ObjectType({
  description: 'A comparison of a carrier’s records with our rated calls over a period (docs/billing.md).',
})
export class ReconciliationRun {
  @Field(() => ID) id!: string;
  @Field() carrier!: string;
  @Field(() => RunStatus) status!: RunStatus;
  @Field(() => GraphQLISODateTime) from!: Date;
  @Field(() => GraphQLISODateTime) to!: Date;
  @Field(() => Int) matched!: number;
  @Field(() => Int) durationMismatch!: number;
  @Field(() => Int) costMismatch!: number;
  @Field(() => Int) missingInCarrier!: number;
  @Field(() => Int) missingInOurs!: number;
  @Field({ description: `Sum of our expected costs. ${MONEY}` }) expectedTotal!: string;
  @Field({ description: `Sum of the carrier’s costs. ${MONEY}` }) billedTotal!: string;
  @Field({ description: `billedTotal − expectedTotal. ${MONEY}` }) difference!: string;
  @Field(() => String, { nullable: true }) currency!: string | null;
  @Field(() => Int) matchToleranceSeconds!: number;
  @Field(() => Int) durationToleranceSeconds!: number;
  @Field() costTolerance!: string;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) startedAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) finishedAt!: Date | null;
}

@ObjectType({ description: 'One carrier record or call of a reconciliation run, with how it compares.' })
export class ReconciliationItem {
  @Field(() => ReconciliationStatus) status!: ReconciliationStatus;
  @Field(() => ID, { nullable: true }) callId!: string | null;
  @Field(() => String, { nullable: true }) carrierCallId!: string | null;
  @Field(() => String, { nullable: true }) from!: string | null;
  @Field(() => String, { nullable: true }) to!: string | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) startedAt!: Date | null;
  @Field(() => Int, { nullable: true }) ourSeconds!: number | null;
  @Field(() => Int, { nullable: true }) carrierSeconds!: number | null;
  @Field(() => String, { nullable: true, description: MONEY }) expectedCost!: string | null;
  @Field(() => String, { nullable: true, description: MONEY }) carrierCost!: string | null;
  @Field({ description: 'Pass as `after` to continue after this item.' }) cursor!: string;
  @Field(() => String, { nullable: true, description: 'CALL_ID or NUMBERS_AND_TIME; null when missing.' })
  matchedBy!: string | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) carrierStartedAt!: Date | null;
  @Field(() => String, { nullable: true, description: `carrierCost − expectedCost. ${MONEY}` }) difference!:
    string | null;
  @Field(() => ID, { nullable: true }) carrierImportId!: string | null;
  @Field(() => Int, { nullable: true }) carrierLine!: number | null;
}

import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** PortSIP WSI subscription filters (all optional). */
export interface WsiFilters {
  extensions?: string[];
  queues?: string[];
  tenants?: string[];
}

/** A customer of the product: every row of every table belongs to one. */
@Entity('tenants')
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') name!: string;
  @Column('text') timezone!: string;
  @Column('char', { length: 2, nullable: true }) country!: string | null;
  @Column('int', { name: 'sla_seconds' }) slaSeconds!: number;
  @Column('int', { name: 'short_abandon_seconds' }) shortAbandonSeconds!: number;
  @Column('text', { name: 'extension_pattern' }) extensionPattern!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** A PBX (or one of its webhook URLs) that delivers events for a tenant. */
@Entity('sources')
export class SourceEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') name!: string;
  @Column('text') vendor!: string;
  @Column('text', { name: 'auth_method' }) authMethod!: string;
  @Column('jsonb') credentials!: unknown;
  @Column('text', { nullable: true }) timezone!: string | null;
  @Column('boolean') enabled!: boolean;
  @Column('text', { name: 'extension_pattern', nullable: true }) extensionPattern!: string | null;
  @Column('text', { name: 'queue_numbers', array: true }) queueNumbers!: string[];
  @Column('text', { nullable: true }) carrier!: string | null;
  @Column('text', { name: 'wsi_url', nullable: true }) wsiUrl!: string | null;
  @Column('text', { name: 'wsi_username', nullable: true }) wsiUsername!: string | null;
  @Column('text', { name: 'wsi_password_enc', nullable: true }) wsiPasswordEnc!: string | null;
  @Column('text', { name: 'wsi_topics', array: true }) wsiTopics!: string[];
  @Column('jsonb', { name: 'wsi_filters' }) wsiFilters!: WsiFilters;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

export const TENANCY_ENTITIES = [TenantEntity, SourceEntity];

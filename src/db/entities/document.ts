import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const DOCUMENT_KINDS = ['original', 'fax_pdf', 'fax_tiff', 'preview', 'thumbnail'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/**
 * A stored file of a fax: the upload, the converted pages, previews. `data` is null once
 * purged; the row stays as part of the audit trail.
 */
@Entity('document')
@Index('document_fax_kind_page', ['faxId', 'kind', 'page'], { unique: true })
export class DocumentRow {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'fax_id', type: 'uuid' })
  faxId!: string;

  @Column({ type: 'varchar', length: 12 })
  kind!: DocumentKind;

  /** 1-based page number for per-page files; 0 for whole-document files. */
  @Column({ type: 'int', default: 0 })
  page!: number;

  @Column({ name: 'content_type', type: 'varchar', length: 100 })
  contentType!: string;

  @Column({ type: 'int' })
  size!: number;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ type: 'bytea', nullable: true, select: false })
  data!: Buffer | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'purged_at', type: 'timestamptz', nullable: true })
  purgedAt!: Date | null;
}

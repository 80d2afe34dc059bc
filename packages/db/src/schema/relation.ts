/** `posts.author_id → users.id`, seen from posts: each row has at most one owner. */
export interface BelongsToRelation<Target extends string = string> {
  readonly kind: 'belongsTo';
  readonly target: Target;
  /** Column on this table holding the target's key. */
  readonly foreignKey: string;
  /** Column on the target that `foreignKey` points at (defaults to the target's primary key). */
  readonly targetKey: string | undefined;
}

/** `users.id ← posts.author_id`, seen from users: each row has many children. */
export interface HasManyRelation<Target extends string = string, ForeignKey extends string = string> {
  readonly kind: 'hasMany';
  readonly target: Target;
  /** Column on the target holding this table's key. */
  readonly foreignKey: ForeignKey;
  /** Column on this table the target points at (defaults to this table's primary key). */
  readonly sourceKey: string | undefined;
}

/** `users.id ← profiles.user_id` (unique), seen from users: each row has at most one child. */
export interface HasOneRelation<Target extends string = string, ForeignKey extends string = string> {
  readonly kind: 'hasOne';
  readonly target: Target;
  /** Column on the target holding this table's key. */
  readonly foreignKey: ForeignKey;
  /** Column on this table the target points at (defaults to this table's primary key). */
  readonly sourceKey: string | undefined;
}

/** `posts ↔ tags` through a join table such as `post_tags(post_id, tag_id)`. */
export interface ManyToManyRelation<Target extends string = string> {
  readonly kind: 'manyToMany';
  readonly target: Target;
  readonly through: string;
  /** Column on the join table pointing at this table. */
  readonly sourceForeignKey: string;
  /** Column on the join table pointing at the target. */
  readonly targetForeignKey: string;
  readonly sourceKey: string | undefined;
  readonly targetKey: string | undefined;
}

/** Any relation. */
export type Relation<Target extends string = string> =
  | BelongsToRelation<Target>
  | HasManyRelation<Target>
  | HasOneRelation<Target>
  | ManyToManyRelation<Target>;

/**
 * Relation constructors used in `defineSchema({ relations })`. Keys default to primary keys.
 *
 * @example
 * ```ts
 * relations: {
 *   users: { posts: relation.hasMany('posts', { foreignKey: 'author_id' }) },
 *   posts: {
 *     author: relation.belongsTo('users', { foreignKey: 'author_id' }),
 *     tags: relation.manyToMany('tags', { through: 'post_tags', sourceForeignKey: 'post_id', targetForeignKey: 'tag_id' }),
 *   },
 * }
 * ```
 */
export const relation = {
  /** This table holds a foreign key to `target`. Loaded value: the target row or `null`. */
  belongsTo<const Target extends string>(
    target: Target,
    options: { foreignKey: string; targetKey?: string },
  ): BelongsToRelation<Target> {
    return { kind: 'belongsTo', target, foreignKey: options.foreignKey, targetKey: options.targetKey };
  },
  /** `target` holds a foreign key to this table. Loaded value: an array of target rows. */
  hasMany<const Target extends string, const ForeignKey extends string>(
    target: Target,
    options: { foreignKey: ForeignKey; sourceKey?: string },
  ): HasManyRelation<Target, ForeignKey> {
    return { kind: 'hasMany', target, foreignKey: options.foreignKey, sourceKey: options.sourceKey };
  },
  /**
   * `target` holds a foreign key to this table, at most one row per key (declare the foreign key
   * unique). Loaded value: the target row or `null`.
   */
  hasOne<const Target extends string, const ForeignKey extends string>(
    target: Target,
    options: { foreignKey: ForeignKey; sourceKey?: string },
  ): HasOneRelation<Target, ForeignKey> {
    return { kind: 'hasOne', target, foreignKey: options.foreignKey, sourceKey: options.sourceKey };
  },
  /** Rows linked through a join table. Loaded value: an array of target rows. */
  manyToMany<const Target extends string>(
    target: Target,
    options: {
      through: string;
      sourceForeignKey: string;
      targetForeignKey: string;
      sourceKey?: string;
      targetKey?: string;
    },
  ): ManyToManyRelation<Target> {
    return {
      kind: 'manyToMany',
      target,
      through: options.through,
      sourceForeignKey: options.sourceForeignKey,
      targetForeignKey: options.targetForeignKey,
      sourceKey: options.sourceKey,
      targetKey: options.targetKey,
    };
  },
};

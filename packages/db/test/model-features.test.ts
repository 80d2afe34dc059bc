import { describe, expect, expectTypeOf, it } from 'vitest';
import { column, defineSchema, InvalidQueryError, RowNotFoundError, relation, table } from '../src/index.js';
import { DIALECTS, useTestDatabase } from './support/test-databases.js';

const authors = table(
  'authors',
  {
    id: column.serial().primaryKey(),
    name: column.text(),
    deleted_at: column.timestamp().nullable(),
  },
  { softDelete: true },
);
const profiles = table('profiles', {
  id: column.serial().primaryKey(),
  author_id: column.integer().references('authors', 'id', { onDelete: 'cascade' }).unique(),
  bio: column.text(),
});
const books = table('books', {
  id: column.serial().primaryKey(),
  author_id: column.integer().references('authors', 'id', { onDelete: 'cascade' }),
  title: column.text(),
  published: column.boolean().default(false),
});
const genres = table('genres', { id: column.serial().primaryKey(), name: column.text().unique() });
const bookGenres = table(
  'book_genres',
  {
    book_id: column.integer().references('books', 'id', { onDelete: 'cascade' }),
    genre_id: column.integer().references('genres', 'id', { onDelete: 'cascade' }),
  },
  { primaryKey: ['book_id', 'genre_id'] },
);
const schema = defineSchema({
  tables: [authors, profiles, books, genres, bookGenres],
  relations: {
    authors: {
      profile: relation.hasOne('profiles', { foreignKey: 'author_id' }),
      books: relation.hasMany('books', { foreignKey: 'author_id' }),
    },
    books: {
      author: relation.belongsTo('authors', { foreignKey: 'author_id' }),
      genres: relation.manyToMany('genres', {
        through: 'book_genres',
        sourceForeignKey: 'book_id',
        targetForeignKey: 'genre_id',
      }),
    },
    genres: {
      books: relation.manyToMany('books', {
        through: 'book_genres',
        sourceForeignKey: 'genre_id',
        targetForeignKey: 'book_id',
      }),
    },
  },
});

describe.each(DIALECTS)(
  'model features: hasOne, nested create, m2m writes, relation filters, select, soft delete (%s)',
  (kind) => {
    const t = useTestDatabase(kind, schema);

    const seed = async () => {
      const m = t.db.models;
      const ada = await m.authors.create(
        { name: 'Ada' },
        {
          profile: { bio: 'mathematician' },
          books: [{ title: 'Notes', published: true }, { title: 'Draft' }],
        },
      );
      const bob = await m.authors.create({ name: 'Bob' }, { books: [{ title: 'Drafts only' }] });
      const cy = await m.authors.create({ name: 'Cy' });
      return { ada, bob, cy };
    };

    it('nested create writes the children in the same transaction and returns them', async () => {
      const { ada } = await seed();
      expect(ada.profile).toMatchObject({ author_id: ada.id, bio: 'mathematician' });
      expect(ada.books.map((b) => b.title)).toEqual(['Notes', 'Draft']);
      expectTypeOf(ada.books[0]!.title).toEqualTypeOf<string>();
      // A failing child rolls the parent back.
      await expect(
        t.db.models.authors.create({ name: 'Ghost' }, { books: [{ title: 'ok' }, { title: 1 as never }] }),
      ).rejects.toMatchObject({ code: 'ZEPHYR_ERR_DB_VALIDATION' });
      expect(await t.db.models.authors.count({ name: 'Ghost' })).toBe(0);
      await expect(t.db.models.authors.create({ name: 'X' }, { nope: [] } as never)).rejects.toBeInstanceOf(
        InvalidQueryError,
      );
      const book = await t.db.models.books.create(
        { author_id: ada.id, title: 'Tagged' },
        { genres: [{ name: 'math' }, { name: 'history' }] },
      );
      expect(book.genres.map((g) => g.name)).toEqual(['math', 'history']);
      expect((await t.db.models.books.find(book.id, { with: { genres: true } }))?.genres).toHaveLength(2);
    });

    it('hasOne loads one row or null', async () => {
      const { ada, cy } = await seed();
      const rows = await t.db.models.authors.findMany({ with: { profile: true }, orderBy: { id: 'asc' } });
      expect(rows[0]?.profile?.bio).toBe('mathematician');
      expect(rows.find((r) => r.id === cy.id)?.profile).toBeNull();
      expectTypeOf(rows[0]!.profile).toEqualTypeOf<{ id: number; author_id: number; bio: string } | null>();
      expect(ada.id).toBe(rows[0]?.id);
    });

    it('many-to-many connect and disconnect', async () => {
      const { ada } = await seed();
      const [math, poetry] = await t.db.models.genres.createMany([{ name: 'math' }, { name: 'poetry' }]);
      const notes = ada.books[0]!;
      expect(await t.db.models.books.connect(notes.id, 'genres', [math!.id, poetry!.id])).toBe(2);
      expect(await t.db.models.books.connect(notes.id, 'genres', [math!.id])).toBe(0); // already linked
      expect(await t.db.models.books.connect(notes.id, 'genres', [])).toBe(0);
      const linked = await t.db.models.books.find(notes.id, { with: { genres: true } });
      expect(linked?.genres.map((g) => g.name).sort()).toEqual(['math', 'poetry']);
      expect(await t.db.models.books.disconnect(notes.id, 'genres', [poetry!.id])).toBe(1);
      expect((await t.db.models.genres.find(poetry!.id, { with: { books: true } }))?.books).toEqual([]);
      await expect(t.db.models.books.connect(notes.id, 'genres', ['x'])).rejects.toBeInstanceOf(
        InvalidQueryError,
      );
      await expect(t.db.models.books.connect(notes.id, 'author' as never, [1])).rejects.toBeInstanceOf(
        InvalidQueryError,
      );
    });

    it('relation filters: some, none, every, is, isNot', async () => {
      await seed();
      const names = async (where: Parameters<typeof t.db.models.authors.findMany>[0]) =>
        (await t.db.models.authors.findMany({ ...where, orderBy: { id: 'asc' } })).map((a) => a.name);
      expect(await names({ where: { books: { some: { published: true } } } })).toEqual(['Ada']);
      expect(await names({ where: { books: { none: { published: true } } } })).toEqual(['Bob', 'Cy']);
      expect(await names({ where: { books: { every: { published: false } } } })).toEqual(['Bob', 'Cy']);
      expect(await names({ where: { profile: { is: { bio: { like: 'math%' } } } } })).toEqual(['Ada']);
      expect(await names({ where: { profile: { isNot: { bio: 'x' } }, name: { ne: 'Ada' } } })).toEqual([
        'Bob',
        'Cy',
      ]);
      const byAuthor = await t.db.models.books.count({ author: { is: { name: 'Bob' } } });
      expect(byAuthor).toBe(1);
      // Nested, and combined with OR.
      expect(
        await names({ where: { OR: [{ books: { some: { title: { like: 'Drafts%' } } } }, { name: 'Cy' }] } }),
      ).toEqual(['Bob', 'Cy']);
      await expect(
        t.db.models.authors.findMany({ where: { books: { any: {} } } as never }),
      ).rejects.toBeInstanceOf(InvalidQueryError);
      await expect(
        t.db.models.authors.findMany({ where: { books: { some: {} } } as never }),
      ).rejects.toBeInstanceOf(InvalidQueryError);
    });

    it('column selection narrows rows and their type, relations still load', async () => {
      const { ada } = await seed();
      const rows = await t.db.models.books.findMany({
        select: ['title'],
        with: { author: true },
        orderBy: { id: 'asc' },
      });
      expect(rows[0]).toEqual({ title: 'Notes', author: expect.objectContaining({ name: 'Ada' }) });
      expectTypeOf(rows[0]!).toEqualTypeOf<{
        title: string;
        author: { id: number; name: string; deleted_at: Date | null } | null;
      }>();
      const one = await t.db.models.authors.find(ada.id, { select: ['name'] });
      expect(one).toEqual({ name: 'Ada' });
      const page = await t.db.models.books.paginate({ first: 2, select: ['title'] });
      expect(Object.keys(page.rows[0]!)).toEqual(['title']);
      expect(page.nextCursor).not.toBeNull();
    });

    it('soft delete: delete marks, reads skip, withDeleted sees, restore and hardDelete', async () => {
      const { ada, bob } = await seed();
      const m = t.db.models.authors;
      expect(await m.delete({ id: bob.id })).toBe(1);
      expect(await m.find(bob.id)).toBeUndefined();
      expect(await m.count()).toBe(2);
      expect((await m.find(bob.id, { withDeleted: true }))?.deleted_at).toBeInstanceOf(Date);
      expect(await m.count(undefined, { withDeleted: true })).toBe(3);
      expect(await m.delete({ id: bob.id })).toBe(0); // already deleted
      await expect(m.findOrThrow(bob.id)).rejects.toBeInstanceOf(RowNotFoundError);
      await expect(m.findOrThrow(bob.id)).rejects.toMatchObject({ status: 404 });
      // Relations skip soft-deleted rows too.
      const book = await t.db.models.books.findFirst({
        where: { author_id: bob.id },
        with: { author: true },
      });
      expect(book?.author).toBeNull();
      expect(await t.db.models.books.count({ author: { is: { name: 'Bob' } } })).toBe(0); // nor in relation filters
      expect((await m.restore({ id: bob.id })).map((a) => a.name)).toEqual(['Bob']);
      expect(await m.count()).toBe(3);
      expect(await m.hardDelete({ id: ada.id })).toBe(1);
      expect(await m.count(undefined, { withDeleted: true })).toBe(2);
      await expect(t.db.models.books.restore({ id: 1 })).rejects.toBeInstanceOf(InvalidQueryError);
    });
  },
);

<?php
declare(strict_types=1);

namespace SimDav;

// System tags and their assignments to file ids (contract more-apps 5.1): public tags are visible and assignable,
// restricted ones visible to all but assignable by admins only, invisible ones exist for admins only.
final class TagStore
{
    public function __construct(private \PDO $pdo, private string $viewer)
    {
    }

    public function isAdmin(): bool
    {
        return $this->viewer === 'admin';
    }

    /** @return array{id:int, name:string, visible:bool, assignable:bool}|null  null when unknown or invisible to the viewer */
    public function tag(int $id): ?array
    {
        $select = $this->pdo->prepare('SELECT * FROM systemtags WHERE id = ?');
        $select->execute([$id]);
        $row = $select->fetch(\PDO::FETCH_ASSOC);
        if ($row === false) return null;
        $tag = self::shape($row);
        return $tag['visible'] || $this->isAdmin() ? $tag : null;
    }

    /** @return list<array{id:int, name:string, visible:bool, assignable:bool}> */
    public function visibleTags(): array
    {
        $rows = $this->pdo->query('SELECT * FROM systemtags ORDER BY id')->fetchAll(\PDO::FETCH_ASSOC);
        return array_values(array_filter(array_map([self::class, 'shape'], $rows), fn ($t) => $t['visible'] || $this->isAdmin()));
    }

    /** Visible tags on a file, sorted naturally by name. @return list<array{id:int, name:string, visible:bool, assignable:bool}> */
    public function tagsOf(int $fileId): array
    {
        $select = $this->pdo->prepare('SELECT t.* FROM systemtags t JOIN systemtag_mapping m ON m.tagid = t.id WHERE m.fileid = ?');
        $select->execute([$fileId]);
        $tags = array_values(array_filter(array_map([self::class, 'shape'], $select->fetchAll(\PDO::FETCH_ASSOC)), fn ($t) => $t['visible'] || $this->isAdmin()));
        usort($tags, fn ($a, $b) => strnatcasecmp($a['name'], $b['name']));
        return $tags;
    }

    /** File ids carrying every one of the tags. @param list<int> $tagIds @return list<int> */
    public function filesWithAll(array $tagIds): array
    {
        $ids = null;
        foreach ($tagIds as $tagId) {
            $select = $this->pdo->prepare('SELECT fileid FROM systemtag_mapping WHERE tagid = ?');
            $select->execute([$tagId]);
            $found = array_map('intval', $select->fetchAll(\PDO::FETCH_COLUMN));
            $ids = $ids === null ? $found : array_values(array_intersect($ids, $found));
        }
        return $ids ?? [];
    }

    /** @param array{visible:bool, assignable:bool} $tag */
    public function canAssign(array $tag): bool
    {
        return $this->isAdmin() || ($tag['visible'] && $tag['assignable']);
    }

    public function isAssigned(int $tagId, int $fileId): bool
    {
        $select = $this->pdo->prepare('SELECT 1 FROM systemtag_mapping WHERE tagid = ? AND fileid = ?');
        $select->execute([$tagId, $fileId]);
        return $select->fetchColumn() !== false;
    }

    public function assign(int $tagId, int $fileId): void
    {
        $this->pdo->prepare('INSERT OR IGNORE INTO systemtag_mapping (tagid, fileid) VALUES (?, ?)')->execute([$tagId, $fileId]);
    }

    public function unassign(int $tagId, int $fileId): void
    {
        $this->pdo->prepare('DELETE FROM systemtag_mapping WHERE tagid = ? AND fileid = ?')->execute([$tagId, $fileId]);
    }

    /** Seeding: creates a tag of a kind and returns its id. */
    public static function create(\PDO $pdo, string $name, string $kind): int
    {
        $pdo->prepare('INSERT INTO systemtags (name, visible, assignable) VALUES (?, ?, ?)')
            ->execute([$name, $kind === 'invisible' ? 0 : 1, $kind === 'public' ? 1 : 0]);
        return (int) $pdo->lastInsertId();
    }

    /** @param array<string, mixed> $row @return array{id:int, name:string, visible:bool, assignable:bool} */
    private static function shape(array $row): array
    {
        return ['id' => (int) $row['id'], 'name' => (string) $row['name'], 'visible' => (bool) $row['visible'], 'assignable' => (bool) $row['assignable']];
    }
}

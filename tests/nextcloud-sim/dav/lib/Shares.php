<?php
declare(strict_types=1);

namespace SimDav;

// User shares (Nextcloud's oc_share, type 0): a node of the owner mounted at `target` in the recipient's tree.
// permissions is Nextcloud's bitmask: 1 read, 2 update, 4 create, 8 delete, 16 share.
final class Shares
{
    public function __construct(private \PDO $pdo)
    {
    }

    /** Mounts shown inside the recipient's folder $parentPath. @return list<array<string, mixed>> */
    public function mountsIn(string $recipient, string $parentPath): array
    {
        $rows = [];
        foreach ($this->receivedBy($recipient) as $row) {
            if (FileCache::parent($row['target']) === $parentPath) $rows[] = $row;
        }
        return $rows;
    }

    /** @return list<array<string, mixed>> */
    public function receivedBy(string $recipient): array
    {
        $select = $this->pdo->prepare('SELECT * FROM shares WHERE recipient = ? ORDER BY id');
        $select->execute([$recipient]);
        return $select->fetchAll(\PDO::FETCH_ASSOC);
    }

    /** Share types (all 0 here) on the owner's node at $path. @return list<int> */
    public function typesFor(string $owner, string $path): array
    {
        $select = $this->pdo->prepare('SELECT DISTINCT 0 FROM shares WHERE owner = ? AND path = ?');
        $select->execute([$owner, $path]);
        return $select->fetchAll(\PDO::FETCH_COLUMN) ? [0] : [];
    }
}

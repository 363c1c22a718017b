package io.llmq.api;

import io.llmq.common.testing.TestServices;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Plain JDBC on the test database: rows a test writes as another part of llmq would. */
public final class TestSql {

  private TestSql() {}

  /** Runs one statement with positional parameters; returns the rows it changed. */
  public static int update(String sql, Object... params) {
    try (Connection connection = connect();
        PreparedStatement statement = prepare(connection, sql, params)) {
      return statement.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot run " + sql, e);
    }
  }

  /** The first column of every row of a query, as strings. */
  public static List<String> column(String sql, Object... params) {
    try (Connection connection = connect();
        PreparedStatement statement = prepare(connection, sql, params);
        var rows = statement.executeQuery()) {
      List<String> values = new ArrayList<>();
      while (rows.next()) {
        values.add(rows.getString(1));
      }
      return values;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot run " + sql, e);
    }
  }

  private static PreparedStatement prepare(Connection connection, String sql, Object... params)
      throws SQLException {
    PreparedStatement statement = connection.prepareStatement(sql);
    for (int i = 0; i < params.length; i++) {
      statement.setObject(i + 1, params[i]);
    }
    return statement;
  }

  private static Connection connect() throws SQLException {
    TestServices services = TestServices.get();
    return DriverManager.getConnection(
        "jdbc:" + services.dbUrl(TestServices.testDatabase()),
        services.pgUser(),
        services.pgPassword());
  }
}
